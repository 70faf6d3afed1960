"""The provincial OCOP office's portal: producers, certificates, audit log."""
