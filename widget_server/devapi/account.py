"""The "Developer tokens" card of /account: create one (shown once, in the answer to that
POST only) and revoke one. CSRF, same-origin and the session are checked by the account
page's own decorator, as for its other forms."""

from __future__ import annotations

from quart import Blueprint

from ..accounts.views import account_form, render_account, see_other
from ..errors import NotFoundError, ValidationError
from ..services import services
from .tokens import create_developer_token, revoke_developer_token

blueprint = Blueprint("devapi_account", __name__)


@blueprint.post("/account/developer-tokens")
@account_form
async def create_token(user, form):
    try:
        created, token = await create_developer_token(
            services().db, user.id, form.get("name"), form.get("lifetime")
        )
    except ValidationError as error:
        return await render_account(user, error=f"Developer token: {error.message}", status=400)
    return await render_account(user, new_developer_token=(created, token))


@blueprint.post("/account/developer-tokens/<int:token_id>/revoke")
@account_form
async def revoke_token(user, form, token_id: int):
    try:
        await revoke_developer_token(services().db, user.id, token_id)
    except NotFoundError:
        return await render_account(user, error="That developer token does not exist.", status=404)
    return see_other("/account?done=developer_token_revoked")
