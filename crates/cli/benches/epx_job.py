"""One job of N demo-engine runs through the real epx client: FREDJob.execute timed from the
client's side (register, upload, submit, poll until DONE). Prints {"seconds": ...}."""
import json
import sys
import time

from epx import FREDJob, FREDModelConfig, SynthPop

model, runs = sys.argv[1], int(sys.argv[2])
town = SynthPop("US_2010.v5", ["Test_Town"])
config = FREDModelConfig(synth_pop=town, start_date="2020-01-01", end_date="2020-01-30",
                         seed=list(range(1, runs + 1)), n_reps=runs)
job = FREDJob(fred_files=[model], config=[config], tags=["bench"])
started = time.monotonic()
job.execute(3600)
seconds = time.monotonic() - started
assert str(job.status) == "DONE", job.status
print(json.dumps({"seconds": seconds}))
