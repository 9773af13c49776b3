"""Check that a C/C++ program's scores equal the CLI's bit for bit (both parse to the same double);
rows are id,score,pd[,grade,decision,reason_1..4]."""
import csv
import sys

c_rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[2]) as f:
    cli = list(csv.DictReader(f))
assert len(c_rows) == len(cli), f"{len(c_rows)} C rows, {len(cli)} CLI rows"
for c, r in zip(c_rows, cli):
    assert c[0] == r["application_id"], (c[0], r["application_id"])
    assert float(c[1]) == float(r["score"]), (c[0], c[1], r["score"])
    assert float(c[2]) == float(r["pd"]), (c[0], c[2], r["pd"])
    if len(c) > 3:
        assert c[3] == r["grade"] and c[4] == r["decision"], (c, r)
        assert c[5:9] == [r[f"reason_{k}"] for k in range(1, 5)], (c, r)
print(f"{sys.argv[1]}: equal to the CLI for all {len(c_rows)} applications")
