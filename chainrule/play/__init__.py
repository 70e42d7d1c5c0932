"""The browser classroom's Python: :mod:`chainrule.play.lessons` is what the page runs in
Pyodide (every number, table and step of a lesson), :mod:`chainrule.play.command` is
``chainrule play``, which serves the built page on 127.0.0.1."""
