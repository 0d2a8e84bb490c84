"""A job of several configurations through the real epx client, then its results read back
with the client's own readers. Prints one JSON document for the Rust test to check."""
import json
import os
import shutil
import sys
from pathlib import Path

from epx import FREDJob, FREDJobResults, FREDModelConfig, SynthPop

model = sys.argv[1]
town = SynthPop("US_2010.v5", ["Test_Town"])
configs = [
    # Two replicates, seeds 11 and 22, ten days although the model says 10 days from Jan 1.
    FREDModelConfig(synth_pop=town, start_date="2020-01-01", end_date="2020-01-10", seed=[11, 22], n_reps=2),
    # Same dates and seed 11 again: the same epidemic as the first run.
    FREDModelConfig(synth_pop=town, start_date="2020-01-01", end_date="2020-01-10", seed=11),
    # Five days, another transmissibility, a seed past i64.
    FREDModelConfig(synth_pop=town, start_date="2020-01-01", end_date="2020-01-05",
                    model_params={"INF.transmissibility": 1.5}, seed=14834349027133208755),
]
job = FREDJob(fred_files=[model], config=configs, tags=["epx_results", "multi"])
job.execute(300)
status = str(job.status)
assert status == "DONE", status

new_exposed = job.results.state("INF", "E", "new")
dates = job.results.dates()
pop = job.results.pop_size()
by_run = {int(r): g for r, g in new_exposed.groupby("run_id")}
runs = sorted(by_run)
assert len(runs) == 4, runs

# FREDJobResults.download asks before overwriting: start from an empty results folder.
storage = Path(os.environ["EPX_STORAGE_DIR"])
job_results = storage / "job_data" / str(job.job_id) / "results"
shutil.rmtree(job_results)
job_results.mkdir()
FREDJobResults.download(job.job_id)
downloaded = sorted(p.name for p in job_results.iterdir())

print(json.dumps({
    "job_id": job.job_id,
    "status": status,
    "runs": runs,
    "days": {str(r): len(by_run[r]) for r in runs},
    "new_exposed": {str(r): [int(v) for v in by_run[r]["new"]] for r in runs},
    "dates": dates.head(2).to_dict("records"),
    "pop_rows": len(pop),
    "pop": pop.head(1).to_dict("records"),
    "downloaded": downloaded,
    "has_daily": all((job_results / d / "work/outputs/DAILY/INF.newE.txt").is_file() for d in downloaded),
}, default=str))
