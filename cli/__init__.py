"""cadence's command line: click commands over the engine (cadence.daemon.engine).

Commands parse, call the engine and print; they never reach a calendar, a mail
server or the store themselves.
"""
