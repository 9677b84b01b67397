"""The Django project of « Déposer son offre »: settings, addresses, WSGI application, and the
processes that run it (``sofi-bulk serveur``, ``sofi-bulk travailleur``). The application
itself (pages, models, background jobs) is ``sofi_bulk.web``: this package only assembles and
starts it, as django-import-export keeps its project beside its app.
"""
