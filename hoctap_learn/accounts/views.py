"""Account pages: thin views over accounts.services."""

from __future__ import annotations

from contextlib import suppress

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from ..core.auth import staff_required
from ..core.errors import ValidationError
from ..core.forms import BaseForm, safe_next, saving, select_choices
from ..core.mail import MailNotSent
from ..core.types import utcnow
from ..extensions import db, limiter
from ..units.services import unit_choices
from . import reset, services, throttle
from .forms import (
    ForgotForm,
    LoginForm,
    PasswordForm,
    ProfileFields,
    RegisterForm,
    ResetForm,
    RoleForm,
)
from .throttle import TooManyFailures

bp = Blueprint("accounts", __name__, url_prefix="/account", template_folder="templates")
admin_bp = Blueprint("people", __name__, url_prefix="/organizer/users", template_folder="templates")


def _login_limit() -> str:
    return current_app.config["HOCTAP_LOGIN_LIMIT"]


def _profile_input(form) -> services.ProfileInput:
    return services.ProfileInput(
        full_name=form.full_name.data,
        birth_year=form.birth_year.data,
        gender=form.gender.data,
        unit_id=form.unit_id.data,
        workplace=form.workplace.data,
        target_group=form.target_group.data,
        phone=form.phone.data,
    )


def _with_units(form):
    form.unit_id.choices = select_choices([(None, "— Chọn đơn vị —"), *unit_choices()])
    return form


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = _with_units(RegisterForm())
    if form.validate_on_submit():
        # Only a filled-in form counts (mistakes do not): the answer about the email comes
        # after this point, so a script learns at most HOCTAP_REGISTER_LIMIT answers.
        try:
            throttle.take_registration(request.remote_addr)
        except throttle.TooManyRegistrations as error:
            form.form_errors.append(error.message)
            page = render_template("accounts/register.html", form=form)
            return page, 429, {"Retry-After": str(error.retry_after)}
        with saving(form) as saved:
            user = services.register(form.email.data, form.password.data, _profile_input(form))
        if saved.ok:
            login_user(user)
            flash("Đăng ký thành công. Chào mừng bạn đến với Tuần lễ học tập suốt đời!", "success")
            return redirect(url_for("core.home"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accounts/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    headers = {}
    status = 200
    if form.validate_on_submit():
        try:
            user = services.log_in(form.email.data, form.password.data, request.remote_addr)
        except TooManyFailures as error:
            form.form_errors.append(error.message)
            status, headers = 429, {"Retry-After": str(error.retry_after)}
        else:
            db.session.commit()  # last login time, an upgraded hash
            if user is None:
                form.form_errors.append("Email hoặc mật khẩu không đúng.")
            else:
                login_user(user)
                flash(f"Xin chào {user.full_name}!", "success")
                return redirect(safe_next(request.args.get("next"), url_for("core.home")))
    if status == 200 and (form.errors or form.form_errors):
        status = 422
    return render_template("accounts/login.html", form=form), status, headers


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("Bạn đã đăng xuất.", "info")
    return redirect(url_for("core.home"))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = _with_units(ProfileFields(obj=current_user))
    if current_user.is_organizer:
        form.unit_id.render_kw = {"disabled": True}
        if request.method == "POST":
            form.unit_id.data = current_user.unit_id
    if form.validate_on_submit():
        with saving(form) as saved:
            services.update_profile(current_user, _profile_input(form))
        if saved.ok:
            flash("Đã lưu hồ sơ.", "success")
            return redirect(url_for(".profile"))
    return render_template("accounts/profile.html", form=form), 200 if not form.errors else 422


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            services.change_password(current_user, form.current_password.data, form.password.data)
        if saved.ok:
            # keep this browser signed in with the new version; the user itself, not the
            # proxy (g._login_user = current_user would resolve to itself for ever)
            login_user(current_user._get_current_object())
            flash("Đã đổi mật khẩu. Các phiên đăng nhập khác đã bị đăng xuất.", "success")
            return redirect(url_for(".profile"))
    return render_template("accounts/password.html", form=form), 200 if not form.errors else 422


#: The one answer to a reset request, whether or not an account has the address.
RESET_SENT = (
    "Nếu địa chỉ này là email của một tài khoản, chúng tôi đã gửi thư hướng dẫn đặt lại mật "
    "khẩu tới đó. Vui lòng kiểm tra hộp thư (cả mục thư rác); liên kết có hiệu lực trong "
    "{minutes} phút và chỉ dùng được một lần."
)


def _reset_link(token: str) -> str:
    # The token travels in the query string, which the request log leaves out.
    return url_for(".reset_password", token=token, _external=True)


@bp.route("/forgot", methods=["GET", "POST"])
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        try:
            throttle.take_reset(form.email.data, request.remote_addr)
        except throttle.TooManyResets as error:
            form.form_errors.append(error.message)
            page = render_template("accounts/forgot.html", form=form)
            return page, 429, {"Retry-After": str(error.retry_after)}
        # MailNotSent is logged; the answer must not tell whether the account exists.
        with suppress(MailNotSent):
            reset.request_reset(form.email.data, _reset_link)
        minutes = current_app.config["HOCTAP_RESET_MINUTES"]
        flash(RESET_SENT.format(minutes=minutes), "info")
        return redirect(url_for(".forgot"))
    status = 422 if form.errors else 200
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/reset", methods=["GET", "POST"])
def reset_password():
    token = request.args.get("token", "")
    try:
        reset.user_for_token(token)
    except ValidationError as error:
        return render_template("accounts/reset.html", form=None, invalid=error.message), 400
    form = ResetForm()
    if form.validate_on_submit():
        with saving(form) as saved:
            reset.reset_password(token, form.password.data)
        if saved.ok:
            logout_user()
            flash(
                "Đã đặt lại mật khẩu. Mọi phiên đăng nhập và mã truy cập API cũ của tài khoản đã "
                "kết thúc. Vui lòng đăng nhập bằng mật khẩu mới.",
                "success",
            )
            return redirect(url_for(".login"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accounts/reset.html", form=form, invalid=None), status


@bp.route("/tokens")
@login_required
def tokens():
    from ..contests import tokens as api_tokens

    rows = api_tokens.live_tokens(current_user, utcnow())
    return render_template("accounts/tokens.html", tokens=rows, form=BaseForm())


@bp.route("/tokens/revoke", methods=["POST"])
@login_required
def revoke_tokens():
    from ..contests import tokens as api_tokens

    # CSRFProtect has checked the form's token (app-wide, every POST).
    count = api_tokens.revoke_all(current_user.id, utcnow())
    db.session.commit()
    flash(f"Đã thu hồi {count} mã truy cập API.", "success")
    return redirect(url_for(".tokens"))


@bp.route("/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    services.log_out_everywhere(current_user)
    db.session.commit()
    login_user(current_user)  # this browser stays signed in, with the new version
    flash("Đã đăng xuất khỏi mọi thiết bị khác và thu hồi mọi mã truy cập API.", "success")
    return redirect(url_for(".tokens"))


# --- organizer: people of their units ------------------------------------------------------


@admin_bp.route("/")
@staff_required
def user_list():
    query = request.args.get("q", "")
    stmt = services.users_in_scope(current_user, query)
    page = db.paginate(stmt, per_page=current_app.config["HOCTAP_PER_PAGE"], error_out=False)
    return render_template("accounts/user_list.html", page=page, query=query)


@admin_bp.route("/<int:user_id>", methods=["GET", "POST"])
@staff_required
def user_detail(user_id: int):
    user = services.get_user(user_id)
    if not services.can_view_user(current_user, user):
        abort(403)
    form = None
    if current_user.is_admin:
        form = RoleForm(obj=user)
        form.unit_id.choices = select_choices([(None, "— Không —"), *unit_choices()])
        if form.validate_on_submit():
            with saving(form) as saved:
                services.set_role(
                    current_user, user, form.role.data, form.unit_id.data, form.active.data
                )
            if saved.ok:
                flash("Đã cập nhật vai trò.", "success")
                return redirect(url_for(".user_detail", user_id=user.id))
    elif request.method == "POST":
        abort(403)
    return render_template("accounts/user_detail.html", user=user, form=form)
