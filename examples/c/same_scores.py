"""Check that a C/C++ program's scores equal the CLI's bit for bit (both parse to the same double);
a header line, then rows id,score,pd[,grade,decision,reason_1..4]. Usage: same_scores.py C_OUTPUT CLI_OUTPUT."""
import csv
import sys

c_rows = list(csv.reader(open(sys.argv[1])))
assert c_rows and c_rows[0][1:3] == ["score", "pd"], f"no header line: {c_rows[:1]}"
c_rows = c_rows[1:]
with open(sys.argv[2]) as f:
    cli = list(csv.DictReader(f))
assert len(c_rows) == len(cli), f"{len(c_rows)} C rows, {len(cli)} CLI rows"
# The CLI writes the model's id column first when there is one; otherwise rows match by order.
id_column = next(iter(cli[0])) if cli and next(iter(cli[0])) != "score" else None
for c, r in zip(c_rows, cli):
    if id_column is not None:
        assert c[0] == r[id_column], (c[0], r[id_column])
    assert float(c[1]) == float(r["score"]), (c[0], c[1], r["score"])
    assert float(c[2]) == float(r["pd"]), (c[0], c[2], r["pd"])
    if len(c) > 3:
        assert c[3] == r["grade"] and c[4] == r["decision"], (c, r)
        # The CLI writes as many reason columns as the model has features, up to 4.
        assert c[5:9] == [r.get(f"reason_{k}", "") for k in range(1, 5)], (c, r)
print(f"{sys.argv[1]}: equal to the CLI for all {len(c_rows)} applications")
