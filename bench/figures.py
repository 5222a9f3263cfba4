"""Each dashboard figure computed cold, in process, on a seeded database: which figure costs what.

    PYTHONPATH=. .venv/bin/python -m bench.seed --database-url URL --instance DIR --outlets 100000
    PYTHONPATH=. .venv/bin/python -m bench.figures --database-url URL --instance DIR

Three filter sets: city-wide; a district, a brand and a date range; a level and a date range that
ends ten days ago (whole years, months and edge days of the counts are read). The median of
`--repeat` calls per figure, in milliseconds, then the sum.
"""

import argparse
import statistics
import time
from datetime import timedelta
from pathlib import Path

from bench import seed


def filter_sets(today, district_id):
    from outlet_audit.dashboards.queries import Filters

    return {
        "city-wide": Filters(today),
        "district, brand, range": Filters(
            today, district_id, today - timedelta(days=200), today, None, "顺丰"
        ),
        "level, range": Filters(
            today, None, today - timedelta(days=410), today - timedelta(days=10), "district"
        ),
    }


def figures(edition):
    from outlet_audit.dashboards import queries, rectification

    titles = {item.code: item.title for item in edition.items()}
    return {
        "outlets": queries.outlet_totals,
        "statuses": queries.applications_by_status,
        "certificates": queries.certificates_by_level_and_state,
        "trend": queries.monthly_trend,
        "brands": queries.coverage_by_brand,
        "item pass rates": lambda f: queries.item_pass_rates(f, edition),
        "rectification": lambda f: rectification.rectification_figures(f, titles),
        "districts": queries.district_breakdown,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = seed.make_app(seed.app_environment(args.database_url, args.instance))
    with app.test_request_context():
        from outlet_audit.core.time import today_in_shanghai
        from outlet_audit.criteria.editions import active_edition
        from outlet_audit.outlets.reference import all_districts

        edition, today = active_edition(), today_in_shanghai()
        for name, f in filter_sets(today, all_districts()[0].id).items():
            total = 0.0
            print(f"{name}:")
            for figure, compute in figures(edition).items():
                times = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    compute(f)
                    times.append((time.perf_counter() - started) * 1000)
                total += statistics.median(times)
                print(f"  {figure:16s} {statistics.median(times):7.1f} ms")
            print(f"  {'all':16s} {total:7.1f} ms")


if __name__ == "__main__":
    main()
