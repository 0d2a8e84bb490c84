"""A token the server never issued (here the unsigned base64 `{"user_id": 123, ...}` some
servers accept) is refused with the client's own authorization error."""
import json
import sys

from epx import FREDJob, FREDModelConfig, SynthPop

try:
    FREDJob(fred_files=[sys.argv[1]], tags=["forged"],
            config=[FREDModelConfig(synth_pop=SynthPop("US_2010.v5", ["Test_Town"]))]).execute(60)
    print(json.dumps({"refused": False}))
except Exception as error:  # noqa: BLE001 - the test reports whatever the client raised
    print(json.dumps({"refused": True, "error": type(error).__name__, "message": str(error)}))
