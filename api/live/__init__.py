"""The service's side of the live loop: each service day's `dispatch.live.LiveDay`,
stored in the database, locked for every change, rebuilt by any worker process.

`roads` snaps locations and keeps each day's matrix, `locations` is the day's list of
snapped points (the matrix's rows), `fleet` turns shifts into vehicles, `store` opens a
day under lock and saves it back, `sync` mirrors the day into the bookings and audit
tables, `views` renders plans and manifests. Re-optimisation runs in a worker process
through `dispatch.live.solve_in_worker` (the same runner the simulation uses).
"""
