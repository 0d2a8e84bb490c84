// Drives the dashboard of a running `fredbatch serve` in headless Chromium. The Rust test
// (crates/cli/tests/serve_dashboard.rs) starts the server, makes the jobs and passes them in
// DASHBOARD_*; any failed check exits non-zero with what was wrong.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const url = env("DASHBOARD_URL");
const token = env("DASHBOARD_TOKEN");
const doneJob = env("DASHBOARD_DONE_JOB");
const openJob = env("DASHBOARD_OPEN_JOB");
const otherJob = env("DASHBOARD_OTHER_JOB");
const shots = env("DASHBOARD_SCREENSHOTS");
const inputs = env("DASHBOARD_INPUTS");

const browser = await chromium.launch({
  executablePath: env("DASHBOARD_CHROMIUM"),
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const step = (what) => console.log(`ok: ${what}`);
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  // Refused calls (the wrong token, another user's job) are logged as failed loads; those are
  // checked where they are made, and any server error is a problem.
  page.on("console", (m) => { if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) problems.push(`console: ${m.text()}`); });
  page.on("response", (r) => { if (r.status() >= 500) problems.push(`${r.status()} from ${r.url()}`); });
  // Nothing but this server is ever asked for.
  page.on("request", (r) => { if (!r.url().startsWith(url) && !r.url().startsWith("about:") && !r.url().startsWith("data:")) problems.push(`outside request: ${r.url()}`); });

  const response = await page.goto(url + "/");
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"] || "", /default-src 'none'/);

  // A wrong token is refused and nothing is shown.
  await page.fill("#token", "fbt_" + "0".repeat(64));
  await page.click("#signin button[type=submit]");
  await page.locator("#signin-error").filter({ hasText: "not valid" }).waitFor();
  assert.equal(await page.locator("#app").isVisible(), false);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("fredbatch-token")), null);
  step("a wrong token is refused");

  await page.fill("#token", token);
  await page.click("#signin button[type=submit]");
  await page.locator("#who").filter({ hasText: "alice" }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("fredbatch-token")), token);
  step("signed in as alice");

  // The caller's jobs, newest first, with their counts; never another user's.
  const jobsTable = page.locator("#jobs tbody tr");
  await page.waitForFunction(() => document.querySelectorAll("#jobs tbody tr").length >= 2);
  const ids = await jobsTable.evaluateAll((rows) => rows.map((r) => r.dataset.job));
  assert.deepEqual(ids, [openJob, doneJob]);
  assert.ok(!ids.includes(otherJob));
  const doneRow = page.locator(`#jobs tr[data-job="${doneJob}"]`);
  const openRow = page.locator(`#jobs tr[data-job="${openJob}"]`);
  assert.equal(await doneRow.locator(".pill").innerText(), "DONE");
  assert.match(await doneRow.innerText(), /3 done/);
  assert.match(await doneRow.innerText(), /finished/);
  // Its runs wait for inputs that never came: the job is QUEUED, not under way.
  assert.equal(await openRow.locator(".pill").innerText(), "QUEUED");
  assert.match(await openRow.innerText(), /2 queued/);
  step("jobs newest first with their counts");

  // Its runs: DONE, one attempt each, a duration.
  await doneRow.click();
  await page.locator("#job-title").filter({ hasText: `Job ${doneJob}` }).waitFor();
  const runs = page.locator("#runs tbody tr");
  await page.waitForFunction(() => document.querySelectorAll("#runs tbody tr").length === 3);
  for (const row of await runs.all()) {
    const cells = await row.locator("td").allInnerTexts();
    assert.equal(cells[2], "DONE", cells.join(" | "));
    assert.equal(cells[3], "1", cells.join(" | "));
    assert.match(cells[4], /^\d+\.\d+ s$|min/, cells.join(" | "));
  }
  assert.equal(await page.locator("#cancel").isDisabled(), true, "nothing left to cancel");
  // Log tails read as `fredbatch logs` shows them: the worker's lines rendered, not raw JSON.
  const tail = await page.locator("#runs tbody tr pre.tail").first().textContent();
  assert.ok(!tail.split("\n").some((line) => line.trimStart().startsWith("{")), tail);
  assert.match(tail, /\[worker \d\d:\d\d:\d\d INFO\] attempt ended/, tail);
  // Its three seeds are replicates of one configuration: one median and band, over 3 runs.
  await page.locator("#curves polyline.median[data-runs='3']").waitFor({ state: "attached" });
  assert.equal(await page.locator("#curves polyline.median").count(), 1);
  assert.equal(await page.locator("#curves polygon.band").count(), 1);
  await page.screenshot({ path: path.join(shots, "job.png"), fullPage: true });
  step("the finished job's runs are DONE with attempts and durations, and its curves drawn");

  // Its results as one table, downloaded with the token: a Parquet file of its 3 runs.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-table")]);
  const saved = path.join(shots, `job-${doneJob}.parquet`);
  await download.saveAs(saved);
  const bytes = fs.readFileSync(saved);
  assert.equal(bytes.subarray(0, 4).toString(), "PAR1", "a Parquet file");
  assert.equal(bytes.subarray(-4).toString(), "PAR1");
  step("the results table downloads as Parquet");

  // The job's report, framed.
  await page.click("#show-report");
  const report = page.frameLocator("#report");
  await report.locator("h1").filter({ hasText: `${doneJob}` }).waitFor();
  // The report's own check records its verdict on the body, never as text a reader sees.
  await report.locator("body[data-figures]").waitFor({ state: "attached" });
  // Every figure is drawn (the report's own check may run before a busy browser has laid
  // the frame out, so the same check is polled here).
  const frame = await (await page.$("#report")).contentFrame();
  await frame.waitForFunction(() => {
    const figures = [...document.querySelectorAll("svg.figure")];
    return figures.length >= 2 && figures.every((f) => f.getBBox().width > 0 && f.querySelector("polyline.median"));
  }, null, { timeout: 10000 });
  assert.match(await report.locator("body").innerText(), /3 run\(s\)/);
  await page.screenshot({ path: path.join(shots, "report.png"), fullPage: true });
  step("the report shows with its figures");

  // Cancelling the job whose inputs never came: its runs end CANCELLED, live.
  await openRow.click();
  await page.locator("#job-title").filter({ hasText: `Job ${openJob}` }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll("#runs tbody tr").length === 2);
  assert.equal(await page.locator("#runs tbody tr .pill").first().innerText(), "QUEUED");
  assert.equal(await page.locator("#cancel").isDisabled(), false);
  page.once("dialog", (dialog) => dialog.accept());
  await page.click("#cancel");
  await page.waitForFunction(() => [...document.querySelectorAll("#runs tbody tr .pill")].every((p) => p.textContent === "CANCELLED"), null, { timeout: 20000 });
  await openRow.locator(".pill").filter({ hasText: "CANCELLED" }).waitFor({ timeout: 10000 });
  assert.match(await openRow.innerText(), /2 cancelled/);
  step("cancel ends the open runs CANCELLED");

  await doneRow.click();
  await page.locator("#job-title").filter({ hasText: `Job ${doneJob}` }).waitFor();
  await page.screenshot({ path: path.join(shots, "dashboard.png"), fullPage: true });

  // Another user's job is not found through the page's API either.
  const status = await page.evaluate(async ([id, t]) => (await fetch(`/dashboard/api/jobs/${id}`, { headers: { Authorization: "Bearer " + t } })).status, [otherJob, token]);
  assert.equal(status, 404);

  // The page polls: a job made elsewhere (here, straight through the platform API) shows up
  // at the top with its counts without any click.
  const api = async (method, route, body) => {
    const answer = await fetch(url + route, { method, headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const text = await answer.text();
    assert.equal(answer.status, 200, `${method} ${route}: ${text}`);
    return JSON.parse(text);
  };
  const { id: newJob } = await api("POST", "/jobs/register", { tags: ["elsewhere"] });
  // Two scenarios of two seeds each.
  const request = (transmissibility, seed) => ({ jobId: newJob, workingDir: "/home/modeler/model", size: "hot", fredVersion: "latest",
    fredArgs: [{ flag: "-p", value: "main.fred" }, { flag: "-o", value: `INF.transmissibility=${transmissibility}` }, { flag: "-s", value: String(seed) }],
    fredFiles: ["/home/modeler/model/main.fred"] });
  await api("POST", "/runs", { runRequests: [request("0.8", 1), request("0.8", 2), request("2.5", 1), request("2.5", 2)] });
  const newRow = page.locator(`#jobs tr[data-job="${newJob}"]`);
  await newRow.filter({ hasText: "4 queued" }).waitFor({ timeout: 6000 });
  assert.equal(await jobsTable.first().getAttribute("data-job"), String(newJob));
  step("a job made elsewhere appears by polling");

  // Its curves fill in as its runs finish, without reloading the page.
  await newRow.click();
  await page.locator("#curves-note").filter({ hasText: "appear here as runs finish" }).waitFor();
  assert.equal(await page.locator("#curves polyline.median").count(), 0);
  const { url: upload } = await api("POST", "/jobs", { jobId: newJob, context: "job", type: "input" });
  const uploaded = await fetch(upload, { method: "PUT", body: fs.readFileSync(inputs) });
  assert.equal(uploaded.status, 200);
  await page.waitForFunction(() => [...document.querySelectorAll("#curves polyline.median")].map((l) => l.dataset.runs).join() === "2,2", null, { timeout: 60000 });
  assert.match(await page.locator("#curves-legend").innerText(), /INF\.transmissibility=2\.5 \(2 runs\)/);
  await page.screenshot({ path: path.join(shots, "curves.png"), fullPage: true });
  step("an ensemble's curves fill in live, one median and band per configuration");

  // Signing out forgets the token.
  await page.click("#signout");
  await page.locator("#signin").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("fredbatch-token")), null);
  step("signing out forgets the token");
  assert.deepEqual(problems, []);
  console.log(`screenshots in ${shots}`);
} finally {
  await browser.close();
}
