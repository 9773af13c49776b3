"""Writes the bad-input corpus in this folder (committed; rerun to regenerate):
    python3 tests/data/bad/make_corpus.py
Inputs are derived from examples/applications.csv and src/model/default_model.json; the expected
outcome of each file is in tests/bad_inputs.rs."""
import json
from pathlib import Path

here = Path(__file__).resolve().parent
root = here.parents[2]
apps = (root / "examples" / "applications.csv").read_text().splitlines()
header, rows = apps[0], apps[1:21]
model_text = (root / "src" / "model" / "default_model.json").read_text()


def write(name: str, data) -> None:
    (here / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def csv(lines) -> str:
    return "\n".join(lines) + "\n"


# Model files.
write("model_truncated.json", model_text[: len(model_text) // 2])
doc = json.loads(model_text)
doc["features"][0]["points"][0] += 1.0
write("model_tampered.json", json.dumps(doc, indent=2))
doc = json.loads(model_text)
doc["format_version"] = 99
write("model_future_version.json", json.dumps(doc, indent=2))
doc = json.loads(model_text)
doc["format"] = "something-else"
write("model_wrong_format.json", json.dumps(doc, indent=2))
write("model_infinite_intercept.json", model_text.replace(
    '"intercept": ' + json.dumps(json.loads(model_text)["intercept"]), '"intercept": 1e999', 1))
write("model_empty.json", "")
write("model_not_json.json", b"\x00\x01binary\xff")

# Data files.
write("empty.csv", "")
write("header_only.csv", header + "\n")
names = header.split(",")
drop = names.index("monthly_revenue")
write("missing_columns.csv", csv([",".join(n for i, n in enumerate(names) if i != drop)] +
                                 [",".join(f for i, f in enumerate(r.split(",")) if i != drop) for r in rows]))
rev = names.index("monthly_revenue")
mixed = [r.split(",") for r in rows]
for i in (2, 5, 11):
    mixed[i][rev] = ["lots", "12,5", "N.A."][(i // 5) % 3]
mixed[5][rev] = "twelve"
write("mixed_types.csv", csv([header] + [",".join(r) for r in mixed]))
huge = [r.split(",") for r in rows]
huge[0][rev] = "1e400"
huge[1][rev] = "-1e400"
huge[2][rev] = "1e308"
huge[3][rev] = "123456789012345678901234567890"
write("huge_numbers.csv", csv([header] + [",".join(r) for r in huge]))
write("bom.csv", "\ufeff" + csv([header] + rows))
write("crlf.csv", "\r\n".join([header] + rows) + "\r\n")
bad_utf8 = [r.encode() for r in rows]
bad_utf8[4] = bad_utf8[4].replace(b",", b",\xff\xfe", 2).replace(b",\xff\xfe", b",", 1)
write("invalid_utf8.csv", (header + "\n").encode() + b"\n".join(bad_utf8) + b"\n")
quoted = list(rows)
quoted[3] = '"' + quoted[3].split(",", 1)[0] + '\nsecond line",' + quoted[3].split(",", 1)[1]
write("quoted_newline.csv", csv([header] + quoted))
wide = list(rows)
wide[7] = wide[7] + "," + ",".join(str(i) for i in range(10_000))
write("wide_row.csv", csv([header] + wide))
write("wide_header.csv", csv([header + "," + ",".join(f"extra_{i}" for i in range(10_000))] +
                             [r + "," * 10_000 for r in rows[:5]]))
write("blank_lines.csv", csv([header, rows[0], "", rows[1], "   ", rows[2]]))
write("no_trailing_newline.csv", "\n".join([header] + rows[:3]))
dup = header.replace("province", "monthly_revenue", 1)
write("duplicate_header.csv", csv([dup] + rows[:3]))
write("jsonl_mixed.jsonl", "\n".join([
    json.dumps(dict(zip(names, rows[0].split(",")))),
    "{not json",
    "[1, 2, 3]",
    json.dumps({**dict(zip(names, rows[1].split(","))), "monthly_revenue": "lots"}),
    json.dumps({**dict(zip(names, rows[2].split(","))), "monthly_revenue": 5000.5}),
]) + "\n")
print("wrote", len(list(here.iterdir())) - 1, "files to", here)
