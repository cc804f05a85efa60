"""Demand generation, whole-day simulation, KPIs, reports and policy sweeps."""
