"""A client generated from gpmb's OpenAPI document by openapi-python-client, used as a project
board's developer would: log in, list households, post a visit, read it back. Every answer is
parsed into the generated models, so a response that differs from the document fails here.

Run by scripts/api-contract: python generated_client.py BASE_URL (gpmb_client on PYTHONPATH).
"""
import datetime
import sys
import uuid

from gpmb_client import Client
from gpmb_client.api.auth import auth_login, auth_me
from gpmb_client.api.households import households_list
from gpmb_client.api.visits import visits_create, visits_list
from gpmb_client.models import (
    ErrorEnvelope,
    LoginRequest,
    NewVisit,
    PageHouseholdDto,
    PageVisitDto,
    Stance,
    VisitDto,
    VisitKind,
)


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)


def main(base_url):
    # httpx keeps the session cookie the login sets, as a browser would.
    client = Client(base_url=base_url, raise_on_unexpected_status=True)

    refused = auth_login.sync_detailed(client=client, body=LoginRequest(username="member_a", password="wrong"))
    check(refused.status_code == 401 and isinstance(refused.parsed, ErrorEnvelope), "a wrong password is a typed 401")

    login = auth_login.sync_detailed(client=client, body=LoginRequest(username="member_a", password="demo"))
    check(login.status_code == 200, f"login answered {login.status_code}")
    me = auth_me.sync(client=client)
    check(me.user.username == "member_a" and me.working_groups, "the member and her working groups")

    page = households_list.sync(client=client, project="HPDQ2", limit=20)
    check(isinstance(page, PageHouseholdDto) and page.items, "a page of households")
    hid = page.items[0].id
    check(isinstance(hid, int) and page.items[0].head_name, "a household with its id and head")

    visit = NewVisit(
        household_id=hid,
        kind=VisitKind.HOME_VISIT,
        stance=Stance.CONSIDERING,
        visited_at=datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=7))).replace(microsecond=0),
        working_group_id=me.working_groups[0],
        concerns="Hỏi về giá bồi thường đất trồng lúa (client sinh từ OpenAPI)",
        participants=["Nguyễn Văn Contract"],
    )
    key = str(uuid.uuid4())
    created = visits_create.sync_detailed(client=client, body=visit, idempotency_key=key)
    check(created.status_code == 201 and isinstance(created.parsed, VisitDto), f"visit created: {created.status_code} {created.content[:300]!r}")
    check(created.parsed.kind == VisitKind.HOME_VISIT and created.parsed.stance == Stance.CONSIDERING, "enums round-trip as the document names them")

    again = visits_create.sync_detailed(client=client, body=visit, idempotency_key=key)
    check(again.status_code in (200, 201) and again.parsed.id == created.parsed.id, "the same Idempotency-Key stores the visit once")

    listed = visits_list.sync(client=client, household=hid, limit=50)
    check(isinstance(listed, PageVisitDto), "a page of visits")
    check(sum(1 for v in listed.items if v.id == created.parsed.id) == 1, "the visit is listed once")
    print(f"generated client: logged in, {len(page.items)} households, visit {created.parsed.id} stored once")


if __name__ == "__main__":
    main(sys.argv[1])
