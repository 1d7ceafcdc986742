"""Creative entries for participants, the public gallery, and certificates."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.forms import saving, select_choices
from ..core.types import utcnow
from ..extensions import db
from . import certificates, entries, lookup
from .forms import EntryForm
from .models.entry import ENTRY_KINDS
from .views import bp

certificates_bp = Blueprint("certificates", __name__, url_prefix="/certificates",
                            template_folder="templates")  # fmt: skip


def _viewer():
    return current_user if current_user.is_authenticated else None


@bp.route("/<slug>/entry", methods=["GET", "POST"])
@login_required
def entry(slug: str):
    contest = lookup.visible_contest(slug, current_user)
    if contest.kind not in ("creative", "both"):
        abort(404)
    mine = entries.entry_of(current_user, contest)
    form = EntryForm()
    form.kind.choices = select_choices(ENTRY_KINDS.items())
    if (mine is None or entries.replaceable(mine)) and form.validate_on_submit():
        upload = form.file.data
        data = entries.EntryInput(
            title=form.title.data, kind=form.kind.data, body=form.body.data or "",
            data=upload.read() if upload else None,
            filename=upload.filename if upload else "", video_url=form.video_url.data or "",
        )  # fmt: skip
        with saving(form) as saved:
            entries.submit_entry(current_user, contest, data, utcnow())
        if saved.ok:
            flash("Đã thay bài dự thi. Ban tổ chức sẽ duyệt bài mới." if mine else
                  "Đã nhận bài dự thi. Ban tổ chức sẽ duyệt bài.", "success")  # fmt: skip
            return redirect(url_for(".entry", slug=slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("contests/entry.html", contest=contest, form=form, mine=mine,
                           replaceable=entries.replaceable(mine)), status  # fmt: skip


@bp.route("/<slug>/gallery")
def gallery(slug: str):
    contest = lookup.visible_contest(slug, _viewer())
    results = entries.entry_results(contest, approved_only=True)
    return render_template("contests/gallery.html", contest=contest, results=results)


@bp.route("/entries/<int:entry_id>/media")
def media(entry_id: int):
    item = entries.get_entry(entry_id)
    if item.stored_name is None or not entries.can_view(_viewer(), item):
        abort(404)
    path = entries.media_path(item)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=item.mime_type, conditional=True, max_age=0,
                         download_name=item.original_name)  # fmt: skip
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/<slug>/certificate", methods=["POST"])
@login_required
def issue_certificate(slug: str):
    contest = lookup.visible_contest(slug, current_user)
    try:
        cert = certificates.participation_certificate(current_user, contest, utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".contest_detail", slug=slug))
    db.session.commit()
    return redirect(url_for("certificates.verify", code=cert.code))


@certificates_bp.route("/<code>")
def verify(code: str):
    cert = certificates.get_by_code(code)
    return render_template("contests/certificate.html", cert=cert)


@certificates_bp.route("/<code>.pdf")
def pdf(code: str):
    cert = certificates.get_by_code(code)
    verify_url = url_for(".verify", code=cert.code, _external=True)
    data = certificates.render_pdf(cert, verify_url)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="chung-nhan-{cert.code}.pdf"'},
    )
