"""Organizer pages: contests, rounds, question bank, live counters, winners, exports."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ..core.auth import staff_required
from ..core.errors import DomainError
from ..core.forms import attach_error, saving, select_choices
from ..core.timeutil import to_local
from ..core.types import utcnow
from ..extensions import db
from ..units.models import Campaign
from ..units.services import managed_root_id, unit_tree
from . import bank, lookup, organizer, setup
from .certificates import PRIZES
from .forms import ContestForm, ImportForm, RoundForm
from .models import QuestionCategory
from .ranking import leaderboard
from .xlsx import question_template, write_csv, write_xlsx

bp = Blueprint(
    "contest_admin", __name__, url_prefix="/organizer/contests", template_folder="templates"
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _managed(slug: str):
    contest = bank.get_contest(slug)
    organizer.require_manage(current_user, contest)
    return contest


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/")
@staff_required
def index():
    return render_template(
        "contests/organizer/index.html", contests=organizer.managed_contests(current_user)
    )


def _contest_form(form: ContestForm) -> ContestForm:
    rows = unit_tree(root_id=managed_root_id(current_user), active_only=True)
    form.unit_id.choices = select_choices([(r.unit.id, "— " * r.depth + r.unit.name) for r in rows])
    campaigns = db.session.scalars(select(Campaign).order_by(Campaign.start_date.desc()))
    form.campaign_id.choices = select_choices(
        [("", "— Không gắn Tuần lễ —"), *((c.id, c.title) for c in campaigns)]
    )
    return form


def _contest_input(form: ContestForm) -> setup.ContestInput:
    return setup.ContestInput(
        slug=form.slug.data, title=form.title.data, unit_id=form.unit_id.data,
        campaign_id=form.campaign_id.data, description=form.description.data or "",
        rules=form.rules.data or "", kind=form.kind.data, min_age=form.min_age.data,
        name_display=form.name_display.data, published=form.published.data,
    )  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def create():
    form = _contest_form(ContestForm())
    if form.validate_on_submit():
        with saving(form) as saved:
            contest = setup.create_contest(current_user, _contest_input(form))
        if saved.ok:
            flash("Đã tạo cuộc thi.", "success")
            return redirect(url_for(".dashboard", slug=contest.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("contests/organizer/contest_form.html", form=form, contest=None), status


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@staff_required
def edit(slug: str):
    contest = _managed(slug)
    form = _contest_form(ContestForm(obj=contest))
    form.slug.render_kw = {"readonly": True}
    if request.method == "POST":
        form.slug.data = contest.slug
    if form.validate_on_submit():
        with saving(form) as saved:
            setup.update_contest(current_user, contest, _contest_input(form))
        if saved.ok:
            flash("Đã lưu cuộc thi.", "success")
            return redirect(url_for(".dashboard", slug=contest.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "contests/organizer/contest_form.html", form=form, contest=contest
    ), status


@bp.route("/<slug>")
@staff_required
def dashboard(slug: str):
    contest = _managed(slug)
    now = utcnow()
    return render_template(
        "contests/organizer/dashboard.html",
        contest=contest,
        counters=organizer.participation(contest, now),
        bank=organizer.bank_summary(contest),
        now=now,
    )


def _round_form(contest, round_=None) -> RoundForm:
    form = RoundForm(obj=round_)
    categories = db.session.scalars(
        select(QuestionCategory)
        .where(QuestionCategory.contest_id == contest.id)
        .order_by(QuestionCategory.name)
    )
    form.category_ids.choices = select_choices((c.id, c.name) for c in categories)
    if round_ is not None and request.method == "GET":
        form.opens_at.data = (
            to_local(round_.opens_at).replace(tzinfo=None) if round_.opens_at else None
        )
        form.closes_at.data = (
            to_local(round_.closes_at).replace(tzinfo=None) if round_.closes_at else None
        )
        form.time_limit_minutes.data = round_.time_limit_seconds // 60
        form.attempts_allowed.data = round_.attempts_allowed or 0
        form.category_ids.data = [rc.category_id for rc in round_.categories]
    return form


@bp.route("/<slug>/rounds/new", methods=["GET", "POST"], defaults={"round_slug": None})
@bp.route("/<slug>/rounds/<round_slug>/edit", methods=["GET", "POST"])
@staff_required
def round_form(slug: str, round_slug: str | None):
    contest = _managed(slug)
    round_ = lookup.round_of(contest, round_slug) if round_slug else None
    form = _round_form(contest, round_)
    if form.validate_on_submit():
        data = setup.RoundInput(
            slug=form.slug.data, title=form.title.data, description=form.description.data or "",
            opens_at=form.opens_at.data, closes_at=form.closes_at.data,
            is_practice=form.is_practice.data,
            questions_per_attempt=form.questions_per_attempt.data,
            time_limit_minutes=form.time_limit_minutes.data,
            attempts_allowed=form.attempts_allowed.data,
            shuffle_questions=form.shuffle_questions.data,
            shuffle_options=form.shuffle_options.data, reveal_answers=form.reveal_answers.data,
            prediction_enabled=form.prediction_enabled.data,
            category_ids=form.category_ids.data or [],
        )  # fmt: skip
        with saving(form) as saved:
            setup.save_round(current_user, contest, round_, data)
        if saved.ok:
            flash("Đã lưu vòng thi.", "success")
            return redirect(url_for(".dashboard", slug=contest.slug))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "contests/organizer/round_form.html", form=form, contest=contest, round=round_
    ), status


@bp.route("/<slug>/bank", methods=["GET", "POST"])
@staff_required
def question_bank(slug: str):
    contest = _managed(slug)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = setup.import_file(
                current_user, contest, upload.read() if upload else b"",
                upload.filename if upload else "", form.category.data, form.dry_run.data,
                form.skip_invalid.data,
            )  # fmt: skip
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            if form.dry_run.data or (report.errors and not form.skip_invalid.data):
                db.session.rollback()
            else:
                db.session.commit()
    status = 422 if form.errors or form.form_errors or (report and report.errors) else 200
    return render_template(
        "contests/organizer/bank.html", contest=contest, form=form, report=report,
        bank=organizer.bank_summary(contest),
    ), status  # fmt: skip


@bp.route("/<slug>/bank/questions.gift")
@staff_required
def export_gift(slug: str):
    contest = _managed(slug)
    category = request.args.get("category") or None
    return _download(
        bank.export_bank(contest, category).encode("utf-8"),
        f"{contest.slug}.gift",
        "text/plain; charset=utf-8",
    )


@bp.route("/bank-template.xlsx")
@staff_required
def template():
    return _download(question_template(), "mau-cau-hoi.xlsx", XLSX)


@bp.route("/<slug>/winners")
@staff_required
def winners(slug: str):
    contest = _managed(slug)
    round_slug = request.args.get("round") or None
    round_ = lookup.round_of(contest, round_slug) if round_slug else None
    try:
        top = min(500, max(1, int(request.args.get("top", 10))))
    except ValueError:
        top = 10
    rows = leaderboard(contest, round_.id if round_ else None, limit=top, full_names=True)
    return render_template(
        "contests/organizer/winners.html", contest=contest, round=round_, rows=rows, top=top,
        prizes=PRIZES,
    )  # fmt: skip


@bp.route("/<slug>/export/<kind>.<fmt>")
@staff_required
def export(slug: str, kind: str, fmt: str):
    contest = _managed(slug)
    if kind not in ("attempts", "ranking") or fmt not in ("csv", "xlsx"):
        abort(404)
    round_slug = request.args.get("round") or None
    round_ = lookup.round_of(contest, round_slug) if round_slug else None
    round_id = round_.id if round_ else None
    if kind == "attempts":
        headers, rows = organizer.attempts_table(contest, round_id)
    else:
        headers, rows = organizer.ranking_table(contest, round_id)
    name = f"{contest.slug}-{kind}" + (f"-{round_.slug}" if round_ else "")
    if fmt == "csv":
        return _download(write_csv(headers, rows), f"{name}.csv", "text/csv; charset=utf-8")
    title = "Lượt thi" if kind == "attempts" else "Xếp hạng"
    return _download(write_xlsx(headers, rows, title=title), f"{name}.xlsx", XLSX)
