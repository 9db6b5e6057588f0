"""Plugin SDK: ``plugins new`` (migrate.sdk.scaffold) and ``plugins test`` (migrate.sdk.contract).

    from migrate.sdk.scaffold import scaffold      # write a plugin package
    from migrate.sdk.contract import run_checks    # [(check, ok, detail), ...]
"""
