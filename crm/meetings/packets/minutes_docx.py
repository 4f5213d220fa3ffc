"""The 纪要 as a Word document (python-docx), because offices edit in Word or WPS: the
same content as the minutes PDF (``context.minutes_context`` with the document parts),
in the same typeface roles — 小标宋 (title), 仿宋 (body), 黑体 (level-1 headings), 楷体
(level-2 headings) — on A4 with the GB/T 9704 margins."""
from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from flask_babel import format_date
from flask_babel import gettext as _

from crm.core.timeutil import to_local

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SERIF, SANS, KAI = "Noto Serif CJK SC", "Noto Sans CJK SC", "LXGW WenKai"
CN = "一二三四五六七八九十"


def _font(run, family: str, size: float, bold: bool = False, color=None) -> None:
    run.font.name = family
    run.font.size = Pt(size)
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), family)   # Chinese text takes the East Asian font


def _para(doc, text: str, family: str = SERIF, size: float = 16, *, bold=False,
          align=None, indent: bool = False, color=None):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    p.paragraph_format.line_spacing = Pt(28)
    _font(p.add_run(text), family, size, bold, color)
    return p


def _number(i: int) -> str:
    return CN[i] if i < len(CN) else str(i + 1)


def minutes_docx(context: dict) -> bytes:
    """The .docx bytes of the minutes described by ``context`` (``packet_context`` of a
    ``minutes`` briefing)."""
    meeting = context["meeting"]
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _para(doc, _("Internal material, keep safe"), SANS, 16, bold=True)
    _para(doc, _("Enterprise support joint meeting"), SERIF, 26, bold=True,
          align=WD_ALIGN_PARAGRAPH.CENTER, color=RGBColor(0xCC, 0, 0))
    for line in context["title_lines"]:
        _para(doc, line, SERIF, 22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, context["docno"] or _("(number given when the minutes are requested)"),
          SERIF, 16, align=WD_ALIGN_PARAGRAPH.CENTER)
    when = (format_date(to_local(meeting.starts_at).date(), "yyyy年M月d日")
            if meeting.starts_at else "—")
    _para(doc, _("%(when)s, %(chair)s chaired the %(title)s at %(place)s. The meeting heard "
                 "the report on the support of enterprises and studied the items put to it. "
                 "The minutes follow.", when=when, chair=meeting.chair or "—",
                 title=meeting.title, place=meeting.place or "—"), indent=True)
    part = 0
    if meeting.minutes:
        _para(doc, f"{_number(part)}、{_('The meeting')}", SANS, 16, bold=True)
        part += 1
        for line in meeting.minutes.splitlines():
            if line.strip():
                _para(doc, line.strip(), indent=True)
    _para(doc, f"{_number(part)}、{_('What was decided')}", SANS, 16, bold=True)
    part += 1
    for i, d in enumerate(context["decisions"]):
        _para(doc, f"（{_number(i)}）{d.text}", KAI, 16)
        _para(doc, _("Responsible unit: %(unit)s; to be done by %(day)s.", unit=d.unit.name,
                     day=format_date(d.due_date, "yyyy年M月d日")), indent=True)
    if not context["decisions"]:
        _para(doc, _("The meeting recorded no decisions."), indent=True)
    if context.get("agenda_rows"):
        _para(doc, f"{_number(part)}、{_('Items discussed')}", SANS, 16, bold=True)
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, (_("Item no."), _("Item"),
                                                    _("Presenting unit"))):
            cell.text = ""
            _font(cell.paragraphs[0].add_run(text), SANS, 12, bold=True)
        for r in context["agenda_rows"]:
            cells = table.add_row().cells
            title = r["title"] + (f"（{r['enterprise']}）" if r["enterprise"] else "")
            for cell, text in zip(cells, (str(r["order"]), title,
                                          r["unit"].name if r["unit"] else "—")):
                _font(cell.paragraphs[0].add_run(text), SERIF, 12)
    attendance = context["attendance"]
    _para(doc, _("Attendance"), SANS, 16, bold=True)
    for role, label in (("present", _("Present")), ("attending", _("Sitting in")),
                        ("absent", _("Excused"))):
        parts = [attendance.line(role)] if attendance.line(role) else []
        if role == "present" and attendance.other:
            parts.append(attendance.other)
        if parts:
            p = _para(doc, f"{label}：", SANS, 14, bold=True)
            _font(p.add_run("；".join(parts)), SERIF, 14)
    _para(doc, "")
    issued = format_date(context["issued_on"], "yyyy年M月d日")
    _para(doc, f"{context['issuer']}　　{_('Issued on %(day)s', day=issued)}", SERIF, 14)
    if context.get("copies"):
        _para(doc, _("%(n)d copies printed", n=context["copies"]), SERIF, 14,
              align=WD_ALIGN_PARAGRAPH.RIGHT)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
