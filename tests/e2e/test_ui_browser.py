"""The Prefect UI in headless Chromium: the served deployments, a run started from its form.

Chromium and ChromeDriver come from Debian's packages through scripts/install-chromium;
Selenium drives them. Screenshots of every step go into the test's temporary directory.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import RUN_TIMEOUT, Stack, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
PAGE_TIMEOUT = 60.0  # seconds for a page of the UI to show what it should
# Without the network flags Chromium keeps calling hosts this machine cannot reach.
CHROMIUM_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
    "--lang=zh-CN",
)


@pytest.fixture(scope="module")
def chromium() -> None:
    """Chromium and ChromeDriver installed by the project's own script, or a skip saying why."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "install-chromium")], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0 or not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip(f"headless Chromium could not be installed: {done.stderr.strip()}")


@pytest.fixture
def driver(chromium: None, tmp_path: Path) -> Iterator[object]:
    """A headless Chromium session with a profile of its own."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in (*CHROMIUM_ARGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(arg)
    # The driver's path is given, so Selenium Manager never tries to download one.
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    browser = webdriver.Chrome(options=options, service=service)
    browser.set_page_load_timeout(PAGE_TIMEOUT)
    try:
        yield browser
    finally:
        browser.quit()


def test_ui_shows_deployments_runs_the_form_and_the_item_moves(
    stack: Stack, driver: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    assert isinstance(driver, WebDriver)
    ui, ref = stack.prefect.ui, "D2190004"
    wait = WebDriverWait(driver, PAGE_TIMEOUT)

    def shot(name: str) -> None:
        driver.save_screenshot(str(tmp_path / f"{name}.png"))

    def body_has(text: str) -> None:
        try:
            wait.until(ec.text_to_be_present_in_element((By.TAG_NAME, "body"), text))
        except Exception:
            shot(f"missing-{len(list(tmp_path.glob('missing-*')))}")
            raise AssertionError(f"{text!r} not on {driver.current_url}; see {tmp_path}") from None

    # The served deployments, listed by the UI.
    driver.get(f"{ui}/deployments")
    body_has("transition")
    body_has("deadline-sweep")
    shot("01-deployments")

    # The run form of the transition deployment, filled in and submitted.
    deployment = stack.prefect.request("GET", "/deployments/name/transition/transition")
    driver.get(f"{ui}/deployments/deployment/{deployment['id']}/run")
    body_has("Parameters")
    values = {"ref": ref, "event": "acknowledge", "actor": "海城市经办人王明", "role": "operator"}
    for name, value in values.items():
        field = wait.until(
            ec.element_to_be_clickable(
                (By.XPATH, f"//label[normalize-space()='{name}']/following::textarea[1]")
            )
        )
        field.clear()
        field.send_keys(value)
    shot("02-run-form-filled")
    driver.find_element(By.XPATH, "//button[@type='submit' and normalize-space()='Submit']").click()
    # Created, the UI goes back to the deployment's page.
    wait.until(ec.url_matches(rf"/deployments/deployment/{deployment['id']}(\?.*)?$"))
    shot("03-submitted")
    run_id = wait_for(
        lambda: _run_of(stack, deployment["id"], ref), RUN_TIMEOUT, f"a run for {ref}"
    )

    # The served flow ran: the run Completed, under its name, and the item moved.
    run = wait_for(
        lambda: (
            (r := stack.prefect.request("GET", f"/flow_runs/{run_id}"))["state_type"]
            in ("COMPLETED", "FAILED", "CRASHED")
            and r
        ),
        RUN_TIMEOUT,
        f"the end of run {run_id}",
    )
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["name"] == f"{ref}·acknowledge"
    assert stack.state(ref) == "investigating"
    driver.get(f"{ui}/runs/flow-run/{run_id}")
    body_has(f"{ref}·acknowledge")
    body_has("Completed")
    shot("04-run-completed")

    # The run, found by name among the runs.
    driver.get(f"{ui}/runs")
    body_has(f"{ref}·acknowledge")
    shot("05-runs")


def _run_of(stack: Stack, deployment_id: str, ref: str) -> str | None:
    """The id of the deployment's run whose parameters name ``ref``, if there is one."""
    body = {"deployments": {"id": {"any_": [deployment_id]}}, "limit": 50}
    runs = stack.prefect.request("POST", "/flow_runs/filter", body)
    found = [r["id"] for r in runs if r["parameters"].get("ref") == ref]
    assert len(found) <= 1, f"{len(found)} runs for {ref}: the form was submitted more than once"
    return found[0] if found else None
