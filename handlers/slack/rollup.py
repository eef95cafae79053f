"""``/cmrt rollup [product] [YEAR]``: our own CMRT (the company's declaration to its customers), built and uploaded
into the team's channel.

- ``/cmrt rollup [YEAR]`` builds the company-level roll-up of the campaign (default: the latest) with the same use
  case as ``cmrt-bot rollup`` (``handlers.rollup.build_rollup``) and uploads the workbook into the channel
  (``files_upload_v2``) with a one-line summary.
- ``/cmrt rollup product [YEAR]`` opens a modal where the team attaches the product list (CSV or XLSX: number,
  name, comment). The file is fetched through ``files.info`` with the bot token, read like ``--products`` and the
  product-level roll-up is uploaded the same way. When the modal cannot be opened, or the bot was started without
  a roll-up configuration, the answer is the CLI command to use.

Missing ``[company]`` values, an unusable template or a bad product list are answered to the user (ephemeral), with
their keys or rows, and nothing is uploaded. Each roll-up handed out is audited (``slack_rollup``).
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Sequence
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from cmrt.rollup.model import Product, RollupInputError
from cmrt.rollup.products import ProductListError, parse_products
from handlers.rollup import Rollup, RollupError, build_rollup
from handlers.slack.deps import ChatOps
from handlers.slack.guard import Respond, admit, audit, submitter_reply
from handlers.slack.text import code, esc

log = logging.getLogger("cmbot.slack.rollup")

V_PRODUCTS = "cmrt_rollup_products_modal"
B_PRODUCTS = "products"
A_FILE = "file"
MAX_PRODUCT_FILE = 5 * 1024 * 1024  # a product list, not a data dump
USAGE = "Usage: `/cmrt rollup [product] [campaign year]`"


def cli_command(year: int | None, scope: str) -> str:
    """The CLI command that makes the same roll-up."""
    campaign = f"--campaign {year}" if year else "--campaign YEAR"
    if scope == "product":
        return f"cmrt-bot rollup {campaign} --scope product --products FILE.csv --out our-cmrt.xlsx"
    return f"cmrt-bot rollup {campaign} --out our-cmrt.xlsx"


def parse(arg: str) -> tuple[str, int | None] | None:
    """``(scope, year)`` from the words after ``rollup``; None when they are not ``[product|company] [YEAR]``."""
    scope, year = "company", None
    for word in arg.split():
        if word.lower() in ("product", "products"):
            scope = "product"
        elif word.lower() == "company":
            scope = "company"
        elif word.isdigit() and year is None:
            year = int(word)
        else:
            return None
    return scope, year


def command(ops: ChatOps, user_id: str, arg: str, body: dict[str, Any], respond: Respond,
            client: WebClient) -> None:  # fmt: skip
    parsed = parse(arg)
    if parsed is None:
        respond(text=f"{USAGE} (e.g. `/cmrt rollup` or `/cmrt rollup product 2025`).", response_type="ephemeral")
        return
    scope, year = parsed
    channel = ops.channel or str(body.get("channel_id") or "")
    if ops.rollup is None:
        respond(text="This bot was started without the roll-up configuration; make it from the command line:\n"
                     f"`{cli_command(year, scope)}`", response_type="ephemeral")  # fmt: skip
        return
    if scope == "company":
        respond(text="Building our company-level CMRT; it will be uploaded to the channel.", response_type="ephemeral")
        deliver(ops, client, user_id, year=year, scope=scope, products=(), channel=channel,
                tell=lambda text: respond(text=text, response_type="ephemeral"))  # fmt: skip
        return
    try:
        client.views_open(trigger_id=str(body.get("trigger_id") or ""), view=products_modal(year, channel))
    except SlackApiError as exc:
        log.warning("could not open the product list modal: %s", exc.response.get("error"))
        respond(text="The product list cannot be asked for here; make the product-level CMRT from the command "
                     f"line:\n`{cli_command(year, 'product')}`", response_type="ephemeral")  # fmt: skip


def products_modal(year: int | None, channel: str) -> dict[str, Any]:
    campaign = f"campaign {year}" if year else "the latest campaign"
    return {
        "type": "modal",
        "callback_id": V_PRODUCTS,
        "private_metadata": json.dumps({"year": year, "channel": channel}),
        "title": {"type": "plain_text", "text": "Product-level CMRT"},
        "submit": {"type": "plain_text", "text": "Build"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": (
                f"Our own CMRT for {campaign}, declared for the products in the attached list. The list is a CSV "
                "or XLSX file with the columns *number*, *name* and *comment* (the number is required).")}},
            {"type": "input", "block_id": B_PRODUCTS,
             "label": {"type": "plain_text", "text": "Product list (CSV or XLSX)"},
             "element": {"type": "file_input", "action_id": A_FILE, "filetypes": ["csv", "xlsx"], "max_files": 1}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": (
                f"From the command line: `{cli_command(year, 'product')}`")}]},
        ],
    }  # fmt: skip


def _attached(view: dict[str, Any]) -> list[dict[str, Any]]:
    state = ((view.get("state") or {}).get("values") or {}).get(B_PRODUCTS) or {}
    files = (state.get(A_FILE) or {}).get("files") or []
    return [f for f in files if isinstance(f, dict) and f.get("id")]


def download(client: WebClient, file_id: str) -> tuple[str, bytes]:
    """The attached file's name and bytes: its private address comes from ``files.info`` (never from the payload),
    fetched with the bot token. ``ValueError`` when it is too large or cannot be fetched."""
    info = client.files_info(file=file_id).get("file") or {}
    url = info.get("url_private_download") or info.get("url_private")
    name = str(info.get("name") or file_id)
    if not url:
        raise ValueError(f"{name}: Slack gives no address to download it")
    if int(info.get("size") or 0) > MAX_PRODUCT_FILE:
        raise ValueError(f"{name} is larger than {MAX_PRODUCT_FILE // (1024 * 1024)} MB")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {client.token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            data = response.read(MAX_PRODUCT_FILE + 1)
    except OSError as exc:
        raise ValueError(f"{name} could not be downloaded ({exc})") from None
    if len(data) > MAX_PRODUCT_FILE:
        raise ValueError(f"{name} is larger than {MAX_PRODUCT_FILE // (1024 * 1024)} MB")
    return name, data


def register(app: App, ops: ChatOps) -> None:
    @app.view_submission(V_PRODUCTS)
    def on_products(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        files = _attached(view)
        if not files:
            ack(response_action="errors", errors={B_PRODUCTS: "Attach the product list (CSV or XLSX)."})
            return
        ack()
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            year = int(meta["year"]) if meta.get("year") is not None else None
            channel = str(meta.get("channel") or ops.channel or "")
        except (ValueError, TypeError, KeyError):
            meta, year, channel = {}, None, ops.channel or ""
        tell = submitter_reply(client, body, channel or None)
        user_id = admit(ops, body, client, tell, "view")
        if user_id is None:
            return
        try:
            name, data = download(client, str(files[0]["id"]))
            products = parse_products(data)
        except ProductListError as exc:
            tell("The product list cannot be used, nothing was built:\n" + "\n".join(f"• {esc(p)}" for p in
                                                                                        exc.problems[:10]))
            return
        except (ValueError, SlackApiError) as exc:
            log.warning("could not fetch the attached product list: %s", exc)
            tell(f"The product list could not be fetched ({esc(str(exc))}); make the roll-up from the command line:"
                 f"\n`{cli_command(year, 'product')}`")
            return
        except Exception:
            log.exception("the product list modal failed")
            tell("Something went wrong; the error is in the bot's log.")
            return
        log.info("product-level roll-up asked for with %d product(s) from %s", len(products), "an attached file")
        deliver(ops, client, user_id, year=year, scope="product", products=products, channel=channel, tell=tell,
                source=name)  # fmt: skip


def deliver(ops: ChatOps, client: WebClient, user_id: str, *, year: int | None, scope: str,
            products: Sequence[Product], channel: str, tell: Any,
            source: str | None = None) -> Rollup | None:  # fmt: skip
    """Build the roll-up and upload it into ``channel``; ``tell`` answers the user. The roll-up, or None."""
    assert ops.rollup is not None
    now = ops.clock()
    try:
        order = ops.rollup(today=ops.report.today(now), year=year, scope=scope, products=products)
        with ops.db.read_session() as session:
            rollup = build_rollup(session, order)
    except RollupInputError as exc:
        lines = "\n".join(f"• `{code(key)}`: {esc(message)}" for key, message in exc.problems)
        tell(f"Missing or invalid values, nothing was built:\n{lines}")
        return None
    except RollupError as exc:
        tell(f"The roll-up could not be made: {esc(str(exc))}")
        return None
    except Exception:
        log.exception("the roll-up failed")
        tell("Something went wrong; the error is in the bot's log.")
        return None
    plan, year_made = rollup.plan, rollup.campaign["year"]
    filename = f"cmrt-{year_made}-{plan.scope}-{plan.effective_date.isoformat()}.xlsx"
    try:
        client.files_upload_v2(
            channel=channel,
            content=rollup.data,
            filename=filename,
            title=f"Our CMRT, campaign {year_made} ({plan.scope}-level)",
            initial_comment=summary(rollup, user_id, source),
        )
    except SlackApiError as exc:
        log.warning("could not upload the roll-up: %s", exc.response.get("error"))
        tell(f"The roll-up was built but could not be uploaded ({esc(exc.response.get('error'))}); make it from the "
             f"command line:\n`{cli_command(year_made, plan.scope)}`")
        return None
    with ops.db.session() as session:
        audit(session, actor=user_id, action="slack_rollup", at=now, details={
            "campaign": year_made, "scope": plan.scope, "products": len(plan.products),
            "smelters": len(plan.smelters), "left_out": len(plan.left_out), "filename": filename})  # fmt: skip
    return rollup


def summary(rollup: Rollup, user_id: str, source: str | None) -> str:
    """The message that goes with the uploaded workbook."""
    plan = rollup.plan
    figures = plan.figures
    lists = f"RMAP lists of {rollup.rmap_list_date.isoformat()}" if rollup.rmap_list_date else "no RMAP list imported"
    products = f", {len(plan.products)} product(s) from {esc(source)}" if source is not None else ""
    kinds = [line.kind for line in plan.smelters]
    return (
        f"Our own CMRT for campaign {rollup.campaign['year']} ({plan.scope}-level{products}), effective "
        f"{plan.effective_date.isoformat()}, asked for by <@{user_id}>. "
        f"{figures.get('responded')} of {figures.get('surveyed')} surveyed suppliers responded; "
        f"Smelter List of {len(kinds)} row(s), {len(plan.left_out)} consolidated entr"
        f"{'y' if len(plan.left_out) == 1 else 'ies'} left out ({lists}). "
        f"The bot's own review of the file: {rollup.review.grade.value}, 0 required fields empty. "
        "Why each answer was given: `cmrt-bot rollup --json`."
    )
