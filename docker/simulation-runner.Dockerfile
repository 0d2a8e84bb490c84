# The simulation-runner image: `fredbatch worker` with FRED, as AWS Batch runs it.
#
# Build from the repository root, giving a FRED build (a FRED_HOME: bin/FRED, data/...) as the
# `fred` build context:
#
#   docker build -f docker/simulation-runner.Dockerfile --build-context fred=/path/to/fred-build \
#     -t simulation-runner .
#
# The job definition's command is `worker --job-id J --run-id R` (or `--array-first-run N` for
# array jobs); the entrypoint is `fredbatch`.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p fredbatch \
    && strip target/release/fredbatch

FROM debian:bookworm-slim AS runtime
# CA certificates for S3, Secrets Manager and the database's TLS; libstdc++ for FRED.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/fredbatch /tmp/fredbatch
COPY --from=fred / /tmp/fred-build
COPY docker/install-runtime.sh /tmp/install-runtime.sh
RUN /tmp/install-runtime.sh /tmp/fredbatch /tmp/fred-build / \
    && rm -rf /tmp/fredbatch /tmp/fred-build /tmp/install-runtime.sh \
    && useradd --system --uid 10001 --home-dir /var/lib/fredbatch fred

ENV FRED_HOME=/opt/fred \
    FREDBATCH_HOME=/var/lib/fredbatch
USER 10001
WORKDIR /var/lib/fredbatch
ENTRYPOINT ["/usr/local/bin/fredbatch"]
CMD ["worker", "--help"]
