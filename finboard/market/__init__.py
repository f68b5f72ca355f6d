"""Market pages: cashtag pages with their charts, following tickers, the watchlist feed, RSS/Atom feeds."""
