"""`dojo serve`: the dojo in a browser. Each tab drives its own `dojo` process over a websocket
(textual-serve and Textual's web driver); this package adds what a shared room needs on top:
a session limit with a page that says so, children that end with their tab and with the server,
addresses that work on whatever name the player typed, and a warm fork server that tabs are
forked from (forkserver.py, launch.py, forking.py). The same server, started per user in the
background, is the warm dojo terminal launches fork from (warm.py, the `dojo` command's first
step; warmheld.py, the incidents it keeps mapped). Its own modules never import textual; the
fork server imports Textual (by name, with the rest of what a tab needs) only to preload it
for the dojos it forks."""
