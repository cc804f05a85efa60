"""Transit data (公共交通データ): GTFS / GTFS-JP feeds, timetables and journeys on them.

Fixed bus lines are a concern of their own beside the road graph: a feed is read
once into a `Timetable` of plain ints (seconds from the service day's midnight,
metres, (lon, lat)), and everything above (`scenarios` for the bus-line review,
`api` for the CLI) works on that, never on the feed's data frames.
"""
