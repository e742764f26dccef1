"""Archive services: check_* validates and authorizes, do_* mutates. Views and commands stay thin.

Who may see what is archive/access.py. Import the module that does the work: collections (collections and
members), photos (metadata), ingest (uploads and derivatives), zipimport (ZIP, CSV metadata, directories),
search, vocabulary, audit, errors.
"""
