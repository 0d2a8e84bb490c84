"""A second user sees none of the first user's jobs; a forged token is refused."""
import json
import sys

import requests
from epx import FREDJob
from epx.core.cloud.auth import platform_api_headers
from epx.core.utils.config import read_auth_config

theirs = int(sys.argv[1])
api = read_auth_config("api-url")
out = {"mine": [j.id for j in FREDJob.get_jobs_by_tags().jobs]}
for path in [f"/runs?job_id={theirs}", f"/jobs/results?job_id={theirs}"]:
    response = requests.get(api + path, headers=platform_api_headers())
    out[path] = [response.status_code, response.json()]
response = requests.delete(f"{api}/jobs/{theirs}", headers=platform_api_headers())
out["delete"] = [response.status_code, response.json()]
print(json.dumps(out))
