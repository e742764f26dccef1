"""Archive services: check_* validates and authorizes, do_* mutates. Views and commands stay thin.

Who may see what is archive/access.py. By area: collections (collections and members), photos (metadata),
ingest (uploads and derivatives), zipimport (ZIP, CSV metadata, directories), search. Everything is
re-exported here, so `from archive import services` keeps working.
"""

from archive.services.collections import (
    check_collection_data,
    check_member_target,
    check_membership,
    check_role_name,
    do_add_member,
    do_change_member_role,
    do_create_collection,
    do_remove_member,
    do_update_collection,
)
from archive.services.errors import DuplicatePhoto
from archive.services.ingest import (
    DERIVATIVE_FIELDS,
    DERIVATIVE_SUFFIX,
    check_upload,
    delete_photo_files,
    do_ingest_photo,
    make_derivatives,
    on_photo_deleted,
)
from archive.services.photos import (
    METADATA_FIELDS,
    TEXT_FIELDS,
    check_photo_batch,
    check_photo_metadata,
    do_update_photo_metadata,
    do_update_photos_metadata,
)
from archive.services.zipimport import (
    BatchReport,
    IngestResult,
    batch_dict,
    check_batch,
    do_ingest_zip,
    do_upload_zip,
    ingest_one,
    iter_directory,
    metadata_for,
    parse_metadata_csv,
    read_metadata_csv,
    recover_upload_batches,
    run_zip_batch,
)

__all__ = [
    "check_photo_batch",
    "do_update_photos_metadata",
    "DERIVATIVE_FIELDS",
    "DERIVATIVE_SUFFIX",
    "METADATA_FIELDS",
    "TEXT_FIELDS",
    "BatchReport",
    "DuplicatePhoto",
    "IngestResult",
    "batch_dict",
    "check_batch",
    "do_upload_zip",
    "read_metadata_csv",
    "recover_upload_batches",
    "run_zip_batch",
    "check_collection_data",
    "check_member_target",
    "check_membership",
    "check_photo_metadata",
    "check_role_name",
    "check_upload",
    "delete_photo_files",
    "do_add_member",
    "do_change_member_role",
    "do_create_collection",
    "do_ingest_photo",
    "do_ingest_zip",
    "do_remove_member",
    "do_update_collection",
    "do_update_photo_metadata",
    "ingest_one",
    "iter_directory",
    "make_derivatives",
    "metadata_for",
    "on_photo_deleted",
    "parse_metadata_csv",
]
