"""The game tables' schema history, as Alembic revisions shipped inside the package.

`GameStore` runs them on open (dojo/store/games.py); nobody needs the `alembic` command to play.
To change the schema, add a revision file under versions/ whose down_revision is the current head,
and set games.HEAD to it. Never edit a revision that has shipped: stores out there have run it.
"""
