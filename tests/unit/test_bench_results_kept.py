"""`make bench BENCH_ARGS=--write-results` rewrites bench/RESULTS.md; the sections measured by hand
after its marker (jobs, exports, the national estimate) must survive the rewrite."""

from bench.report import KEPT_MARKER, RESULTS_FILE, with_kept_sections


def test_the_hand_written_sections_are_kept_and_the_generated_part_replaced():
    previous = f"# results\n\nold table\n\n{KEPT_MARKER}\n\n## Jobs\n\nby hand\n"
    rewritten = with_kept_sections("# results\n\nnew table\n", previous)
    assert rewritten == f"# results\n\nnew table\n\n{KEPT_MARKER}\n\n## Jobs\n\nby hand\n"
    assert with_kept_sections("# results\n", "# results without a marker\n") == "# results\n"
    assert with_kept_sections("# results\n", None) == "# results\n"


def test_the_results_file_has_its_marker():
    assert RESULTS_FILE.read_text().count(KEPT_MARKER) == 1
