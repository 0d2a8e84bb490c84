"""A small job through the real epx client: registered, uploaded, submitted and polled until it
ends (or the client gives up). Prints {"job_id", "status"}, or the client's refusal."""
import json
import sys

from epx import FREDJob, FREDModelConfig, SynthPop

model, runs = sys.argv[1], int(sys.argv[2])
town = SynthPop("US_2010.v5", ["Test_Town"])
config = FREDModelConfig(synth_pop=town, start_date="2020-01-01", end_date="2020-01-05",
                         seed=list(range(1, runs + 1)), n_reps=runs)
job = FREDJob(fred_files=[model], config=[config], tags=["small"])
try:
    job.execute(300)
except Exception as error:  # the client's own error types: what a user would see
    print(json.dumps({"refused": type(error).__name__, "message": str(error)}))
    sys.exit(0)
print(json.dumps({"job_id": job.job_id, "status": str(job.status)}))
