"""enms: analytics for an ISO 50001 energy management system (baselines, anomalies, forecasts, KPIs)."""

__version__ = "0.1.0"
