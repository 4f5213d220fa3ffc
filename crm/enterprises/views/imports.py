"""Import from .xlsx / .csv: template, upload, preview, confirm (all or nothing)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from crm.core import transactions
from crm.core.downloads import XLSX_MIME, send_download
from crm.enterprises import exporter, importer
from crm.enterprises.forms import ActionForm, ImportForm
from crm.enterprises.models import ImportBatch
from crm.enterprises.views import bp, require_editor
from crm.extensions import db

PREVIEW_ROWS = 200
PREVIEW_ERRORS = 500


@bp.route("/import/template.xlsx")
@login_required
def import_template():
    """The Excel template with Chinese headers, drop-down lists and instructions."""
    require_editor()
    name = _("Enterprise import template")
    return send_download(exporter.template_workbook(), f"{name}.xlsx", XLSX_MIME)


def _upload_page(form, error=None, status=200):
    return render_template("enterprises/import_upload.html", form=form, error=error,
                           max_mb=importer.MAX_BYTES // (1024 * 1024),
                           max_rows=importer.MAX_ROWS), status


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_upload():
    """Upload a file; a readable one is kept as a batch and previewed."""
    require_editor()
    form = ImportForm()
    if not form.validate_on_submit():
        return _upload_page(form, status=400 if form.errors else 200)
    upload = form.file.data
    data = upload.read(importer.MAX_BYTES + 1)
    try:
        table = importer.read_table(upload.filename, data)
    except importer.ImportFileError as exc:
        return _upload_page(form, error=str(exc), status=400)
    batch = importer.create_batch(upload.filename, data, table, current_user)
    if table.ignored:
        flash(_("These columns are not part of the template and were ignored: %(names)s",
                names="、".join(table.ignored)), "warning")
    return redirect(url_for("enterprises.import_preview", batch_id=batch.id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    # Uploads beyond the server's limit never reach the view: answer on the upload page.
    message = _("The file is larger than %(mb)d MB. Split it into smaller files.",
                mb=importer.MAX_BYTES // (1024 * 1024))
    if request.endpoint == "enterprises.import_upload":
        return _upload_page(ImportForm(formdata=None), error=message, status=413)
    return render_template("errors/error.html", code=413, title=_("File too large"),
                           message=message), 413


def _load_batch(batch_id: int) -> ImportBatch:
    require_editor()
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.created_by_id != current_user.id:
        abort(404)
    return batch


def _preview(batch, plan, status=200):
    return render_template("enterprises/import_preview.html", batch=batch, plan=plan,
                           action_form=ActionForm(), preview_rows=PREVIEW_ROWS,
                           preview_errors=PREVIEW_ERRORS), status


@bp.route("/import/<int:batch_id>")
@login_required
def import_preview(batch_id: int):
    """Every row's errors and what will be created or updated, checked against now."""
    batch = _load_batch(batch_id)
    if batch.state != "preview":
        return _preview(batch, None)
    return _preview(batch, importer.plan(batch))


@bp.route("/import/<int:batch_id>/confirm", methods=["POST"])
@login_required
def import_confirm(batch_id: int):
    """Write every row or none."""
    batch = _load_batch(batch_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        plan, result = importer.apply(batch, current_user)
    except (importer.ImportFileError, importer.ImportRowError) as exc:
        transactions.discard()
        flash(_("Nothing was imported: %(error)s", error=str(exc)), "danger")
        return redirect(url_for("enterprises.import_preview", batch_id=batch_id))
    except IntegrityError:
        # Another import or edit registered the same code meanwhile; the preview re-checks.
        transactions.discard()
        flash(_("Nothing was imported: someone changed the same enterprises at the same time. "
                "Check the preview again."), "danger")
        return redirect(url_for("enterprises.import_preview", batch_id=batch_id))
    if result is None:
        transactions.discard()  # the preview shows the batch as stored
        flash(_("Nothing was imported: the registry changed since the preview and some rows "
                "are no longer valid. Correct them and upload the file again."), "danger")
        return _preview(batch, plan, status=409)
    flash(_("Import finished: %(c)d enterprises registered, %(u)d updated, %(n)d unchanged.",
            c=result.created, u=result.updated, n=result.unchanged), "success")
    return redirect(url_for("enterprises.index"))


@bp.route("/import/<int:batch_id>/discard", methods=["POST"])
@login_required
def import_discard(batch_id: int):
    """Abandon a preview."""
    batch = _load_batch(batch_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if batch.state == "preview":
        importer.discard_batch(batch)
    flash(_("The upload was discarded; nothing was imported."), "info")
    return redirect(url_for("enterprises.import_upload"))
