"""The plugin zips: how they are built (``packager``) and served (``views``)."""
