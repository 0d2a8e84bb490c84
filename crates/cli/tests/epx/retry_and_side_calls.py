"""A run that fails on its first attempt is retried by the client itself; then the side calls:
list_runs, get_jobs_by_tags, get_latest_job, stop and delete."""
import json
import sys
import time

from epx import FREDJob, FREDModelConfig, SynthPop

model = sys.argv[1]
town = SynthPop("US_2010.v5", ["Test_Town"])
out = {}

# fail_once=1 makes this test's FRED fail the first attempt of the run (a model error).
flaky = FREDJob(fred_files=[model], tags=["epx_retry"],
                config=[FREDModelConfig(synth_pop=town, model_params={"fail_once": 1}, seed=5)])
flaky.execute(300)
out["retried_status"] = str(flaky.status)
runs = flaky.list_runs()
out["retried_runs"] = [{"id": r.id, "status": r.status} for r in runs.runs]

tagged = FREDJob.get_jobs_by_tags(tags=["epx_retry"])
out["by_tags"] = [j.id for j in tagged.jobs]
latest = FREDJob.get_latest_job(tags=["epx_retry"])
out["latest"] = latest.job_id if latest is not None else None

# slow=1 makes the run take long enough to be stopped while RUNNING.
slow = FREDJob(fred_files=[model], tags=["epx_slow"],
               config=[FREDModelConfig(synth_pop=town, model_params={"slow": 1}, n_reps=2)])
slow.execute()
deadline = time.time() + 60
while str(slow.status) != "RUNNING":
    assert time.time() < deadline, str(slow.status)
    time.sleep(0.5)
out["stop"] = slow.stop()
deadline = time.time() + 60
while str(slow.status) != "ERROR":
    assert time.time() < deadline, str(slow.status)
    time.sleep(0.5)
out["stopped_status"] = str(slow.status)
out["slow_job"] = slow.job_id
slow.delete(interactive=False)
out["after_delete"] = [j.id for j in FREDJob.get_jobs_by_tags().jobs]
print(json.dumps(out, default=str))
