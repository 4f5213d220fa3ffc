"""The entry point for production servers: ``gunicorn 'crm.wsgi:app'``.

Each server process builds the app once and then freezes the start-up heap
(``crm.ready_for_requests``): see there why.
"""
from crm import create_app, ready_for_requests

app = ready_for_requests(create_app())
