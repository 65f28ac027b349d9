"""`dojo serve`: the dojo in a browser. Each tab drives its own `dojo` process over a websocket
(textual-serve and Textual's web driver); this package adds what a shared room needs on top:
a session limit with a page that says so, children that end with their tab and with the server,
and addresses that work on whatever name the player typed. It never imports textual itself."""
