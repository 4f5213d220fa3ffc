"""Meeting packets (Briefing): a versioned PDF of a meeting or of a leader's portfolio.

- ``context``   — what a packet says: the sections' data, one query per section;
- ``summaries`` — how a section too long for paper is summarised;
- ``render``    — HTML from the templates, then PDF with WeasyPrint (no network);
- ``versions``  — requesting, retrying, finalising and reaping versions (flush only);
- ``job``       — the rq job that renders a version, and sending it to the queue;
- ``workbook``  — the packet's tables as .xlsx.
"""
