"""Imports of a bank's own data: ``loanpilot import customers|loans|repayments FILE``.

``readers`` turns CSV (UTF-8 or GBK) and Excel files into strings with spreadsheet row numbers;
``mapping`` binds the file's columns to our fields (Chinese aliases, ``--mapping``, ``--map``);
``customers``, ``loans`` and ``repayments`` validate whole columns at once and write the good rows;
``service.import_file`` runs one import as one transaction and writes the rejects file; ``cli``
is the command line.
"""
