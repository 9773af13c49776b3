// Score applications through the C++ wrapper: the built-in model, one application by named
// fields, a batch read from a CSV file (the simple files microscore synth writes), and an error
// as an exception. Prints id,score,pd (%.17g) for every row to stdout.
//   score_cpp APPLICATIONS.csv
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "microscore.hpp"

static std::vector<std::string> split(const std::string &line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, ',')) out.push_back(field);
    if (!line.empty() && line.back() == ',') out.emplace_back();
    return out;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " APPLICATIONS.csv\n";
        return 2;
    }
    try {
        const microscore::Model model = microscore::Model::builtin();

        microscore::Application app;
        app.text("business_type", "livestock").number("monthly_revenue", 3000).missing("worst_dpd_12m");
        microscore::Result r = model.score(app, 4);
        std::cerr << "one application: score " << r.score << ", grade " << r.grade << ", reasons:";
        for (int32_t f : r.reasons) std::cerr << " " << model.reason_code(static_cast<size_t>(f));
        std::cerr << "\n";

        std::ifstream in(argv[1]);
        std::string line;
        std::getline(in, line);
        std::vector<std::string> header = split(line);
        size_t m = model.n_inputs();
        std::vector<long> where(m, -1);
        long id_col = -1;
        for (size_t c = 0; c < header.size(); c++) {
            if (header[c] == "application_id") id_col = static_cast<long>(c);
            for (size_t j = 0; j < m; j++)
                if (header[c] == model.input_name(j)) where[j] = static_cast<long>(c);
        }
        std::vector<double> x;
        std::vector<std::string> ids;
        while (std::getline(in, line)) {
            if (line.empty()) continue;
            std::vector<std::string> fields = split(line);
            ids.push_back(id_col >= 0 ? fields.at(static_cast<size_t>(id_col)) : "");
            for (size_t j = 0; j < m; j++) {
                const std::string v = where[j] >= 0 && static_cast<size_t>(where[j]) < fields.size()
                                          ? fields[static_cast<size_t>(where[j])]
                                          : "";
                if (v.empty())
                    x.push_back(NAN);
                else if (model.is_categorical(j))
                    x.push_back(model.category_index(j, v));
                else
                    x.push_back(std::stod(v));
            }
        }
        std::vector<double> scores, pds;
        std::vector<int32_t> reasons;
        model.score_batch(x, 4, scores, pds, reasons);
        std::printf("id,score,pd\n");
        for (size_t i = 0; i < scores.size(); i++) std::printf("%s,%.17g,%.17g\n", ids[i].c_str(), scores[i], pds[i]);

        try {
            microscore::Model::load("/nonexistent/model.json");
            std::cerr << "expected an exception\n";
            return 1;
        } catch (const microscore::Error &e) {
            if (e.status() != MICROSCORE_IO) return 1;
        }
    } catch (const microscore::Error &e) {
        std::cerr << "microscore error " << e.status() << ": " << e.what() << "\n";
        return 1;
    }
    return 0;
}
