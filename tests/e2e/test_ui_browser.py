"""The Prefect UI in headless Chromium: the served deployments, a run found by name, and an
acceptance opinion entered through its deployment's run form.

Chromium and ChromeDriver come from Debian's packages through scripts/install-chromium;
Selenium drives them. Screenshots of every step go into the test's temporary directory.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_FAILURES})
    try:
        yield browser
    finally:
        browser.quit()


ACCEPTANCE = {  # an acceptance opinion (验收意见), field title → value
    "操作人": "海城市验收组王五",
    "受理编号": "D2190004",
    "验收组组长": "王五",
    "整改情况意见": "油烟净化设施已安装并正常运行，排烟口已改至楼顶",
    "处罚情况意见": "无",
    "群众满意情况意见": "信访人对整改结果满意并签字",
    "追责问责情况意见": "无",
}
MEMBER = {"姓名": "王五", "单位": "海城市人民政府", "职务": "副市长", "电话": "0412-1234567"}
CHECKS = {  # 身边问题: every criterion met
    "measures_in_place": True,
    "pollution_gone": True,
    "long_term_mechanism": True,
    "not_temporary_fix": True,
}
# Every API request the page makes that fails, with the server's answer, for messages.
RECORD_FAILURES = """
window.__failedRequests = [];
const open = XMLHttpRequest.prototype.open;
XMLHttpRequest.prototype.open = function (method, url, ...rest) {
  this.addEventListener('loadend', () => {
    if (this.status === 0 || this.status >= 400) {
      const answer = String(this.responseText || '').slice(0, 800);
      window.__failedRequests.push(`${method} ${url} -> ${this.status} ${answer}`);
    }
  });
  return open.call(this, method, url, ...rest);
};
"""
# A date input's typed format follows the browser's locale; its value is always ISO.
SET_VALUE = """
const [el, value] = arguments;
Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, value);
el.dispatchEvent(new Event('input', {bubbles: true}));
el.dispatchEvent(new Event('change', {bubbles: true}));
"""


def test_ui_lists_deployments_finds_a_run_and_accepts_through_the_run_form(
    stack: Stack, driver: object, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement
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

    def visible(xpath: str) -> WebElement:
        element = wait.until(ec.presence_of_element_located((By.XPATH, xpath)))
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        assert isinstance(element, WebElement)
        return element

    def type_into(xpath: str, value: str) -> None:
        field = visible(xpath)
        field.clear()
        field.send_keys(value)

    def field(title: str, tag: str = "textarea") -> str:
        return f"//label[normalize-space()='{title}']/following::{tag}[1]"

    def search(placeholder: str, text: str) -> None:
        # The page may hold a hidden copy of the box (another layout): take the shown one.
        boxes = driver.find_elements(By.XPATH, f"//input[@placeholder='{placeholder}']")
        box = next((b for b in boxes if b.is_displayed()), None)
        assert box is not None, f"no search box {placeholder!r} shown on {driver.current_url}"
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(text)

    # A transition run started through the API, to be found by name in the UI later.
    transition = stack.prefect.request("GET", "/deployments/name/transition/transition")
    params = {"ref": "D2190002", "event": "acknowledge", "actor": "王明", "role": "operator"}
    created = stack.prefect.request(
        "POST", f"/deployments/{transition['id']}/create_flow_run", {"parameters": params}
    )

    # The served deployments, found in the UI's list.
    driver.get(f"{ui}/deployments")
    body_has("deadline-sweep")
    for name in ("transition", "accept", "deadline-sweep"):
        search("Search deployments...", name)
        body_has(name)
    shot("01-deployments")

    # The acceptance opinion's own run form, filled in field by field and submitted.
    accept = stack.prefect.request("GET", "/deployments/name/accept/accept")
    driver.get(f"{ui}/deployments/deployment/{accept['id']}/run")
    body_has("验收组成员")
    type_into(field("事项编号"), ref)
    for title, value in ACCEPTANCE.items():
        type_into(field(title), value)
    driver.execute_script(
        SET_VALUE, visible(field("验收日期", "input[@type='date']")), "2024-09-25"
    )
    visible("//button[normalize-space()='Add item']").click()
    for title, value in MEMBER.items():
        type_into(field(title), value)
    visible("//label[normalize-space()='已签字']/following::*[@role='switch'][1]").click()
    checks = visible("//textarea[contains(@class, 'p-code-input__textarea')]")
    checks.send_keys(Keys.CONTROL, "a")
    checks.send_keys(Keys.DELETE)
    checks.send_keys(json.dumps(CHECKS))
    driver.set_window_size(1400, 3600)  # the whole form in one screenshot
    shot("02-accept-form-filled")
    driver.set_window_size(1400, 1000)
    submitted = _submit(driver, wait, accept["id"])
    shot("03-submitted")
    if submitted:  # refused once: say so, and submit again, as a user would
        warnings.warn(f"the run form was refused once: {submitted}", stacklevel=1)
        assert not _submit(driver, wait, accept["id"]), f"refused again; see {tmp_path}"
    run_id = wait_for(lambda: _run_of(stack, accept["id"], ref), RUN_TIMEOUT, f"a run for {ref}")

    # The served flow ran: Completed under its name and tags, and the item moved.
    run = _finished(stack, run_id)
    assert run["state_type"] == "COMPLETED", run["state"]
    assert run["name"] == f"{ref}·accept"
    assert {f"item:{ref}", "district:海城市", "event:accept"} <= set(run["tags"])
    assert run["parameters"]["members"][0]["signed"] is True
    assert stack.state(ref) == "accepted"
    driver.get(f"{ui}/runs/flow-run/{run_id}")
    body_has(f"{ref}·accept")
    body_has("Completed")
    shot("04-accept-run-completed")

    # The transition run, found by its name among all runs.
    assert _finished(stack, created["id"])["state_type"] == "COMPLETED"
    assert stack.state("D2190002") == "investigating"
    driver.get(f"{ui}/runs")
    body_has("Flow runs")
    search("Search by flow run name", "D2190002")
    visible("//*[normalize-space()='1 run']")  # the search has narrowed the list to it
    body_has("D2190002·acknowledge")
    shot("05-runs-found-by-name")


def _submit(driver: Any, wait: Any, deployment_id: str) -> str:
    """Submit the open run form: "" once the UI is back on the deployment's page, or what
    the UI and the server said when the run was refused (an error toast)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    toast = "//*[contains(@class, 'p-toast__card')][.//*[contains(@class, 'p-toast__icon--error')]]"
    shown = len(driver.find_elements(By.XPATH, toast))
    driver.find_element(By.XPATH, "//button[@type='submit' and normalize-space()='Submit']").click()
    back = ec.url_matches(rf"/deployments/deployment/{deployment_id}(\?.*)?$")
    wait.until(lambda d: back(d) or len(d.find_elements(By.XPATH, toast)) > shown)
    if back(driver):
        return ""
    said = [t.text for t in driver.find_elements(By.XPATH, toast)[shown:]]
    said += driver.execute_script("return window.__failedRequests || []")
    return " | ".join(said)


def _finished(stack: Stack, run_id: str) -> dict[str, Any]:
    """The run once it has reached a final state."""
    final = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")

    def check() -> dict[str, Any] | None:
        run: dict[str, Any] = stack.prefect.request("GET", f"/flow_runs/{run_id}")
        return run if run["state_type"] in final else None

    found: dict[str, Any] = wait_for(check, RUN_TIMEOUT, f"the end of run {run_id}")
    return found


def _run_of(stack: Stack, deployment_id: str, ref: str) -> str | None:
    """The id of the deployment's run whose parameters name ``ref``, if there is one."""
    body = {"deployments": {"id": {"any_": [deployment_id]}}, "limit": 50}
    runs = stack.prefect.request("POST", "/flow_runs/filter", body)
    found = [r["id"] for r in runs if r["parameters"].get("ref") == ref]
    assert len(found) <= 1, f"{len(found)} runs for {ref}: the form was submitted more than once"
    return found[0] if found else None
