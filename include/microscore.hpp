// microscore C++ API: a header-only RAII wrapper over microscore.h.
//
// - microscore::Model owns a model handle (move-only, freed by its destructor); it is immutable
//   and may be shared by many threads (pass it by const reference).
// - Every failing call throws microscore::Error (a std::runtime_error) carrying the status code
//   and the library's message.
//
//   microscore::Model model = microscore::Model::builtin();
//   microscore::Application app;
//   app.text("business_type", "livestock").number("monthly_revenue", 3000);
//   microscore::Result r = model.score(app, 4);
//   std::cout << r.score << " " << model.reason_code(r.reasons[0]) << "\n";
#ifndef MICROSCORE_HPP
#define MICROSCORE_HPP

#include <cmath>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "microscore.h"

namespace microscore {

/// A failed call: the status code and the library's message.
class Error : public std::runtime_error {
public:
    Error(microscore_status status, const std::string &message)
        : std::runtime_error(message), status_(status) {}
    microscore_status status() const noexcept { return status_; }

private:
    microscore_status status_;
};

namespace detail {
struct ErrorDeleter {
    void operator()(microscore_error *e) const noexcept { microscore_error_free(e); }
};
struct ModelDeleter {
    void operator()(microscore_model *m) const noexcept { microscore_model_free(m); }
};

inline void check(microscore_status status, microscore_error *raw) {
    std::unique_ptr<microscore_error, ErrorDeleter> err(raw);
    if (status == MICROSCORE_OK) return;
    std::string message = microscore_status_str(static_cast<uint32_t>(status));
    if (err) {
        size_t n = 0;
        microscore_error_message(err.get(), nullptr, 0, &n);
        std::string text(n + 1, '\0');
        if (microscore_error_message(err.get(), &text[0], text.size(), &n) == MICROSCORE_OK) {
            text.resize(n);
            message = text;
        }
    }
    throw Error(status, message);
}

/// Call `f(&err)` and throw if it fails. (The error pointer must be read after the call: passing
/// it as a second argument beside the call would be evaluated in unspecified order.)
template <typename F>
void call(F f) {
    microscore_error *err = nullptr;
    microscore_status status = f(&err);
    check(status, err);
}

/// Call a string getter twice: once for the size, once for the text.
template <typename F>
std::string get_string(F getter) {
    size_t n = 0;
    getter(nullptr, 0, &n, nullptr);
    std::string text(n + 1, '\0');
    call([&](microscore_error **e) { return getter(&text[0], text.size(), &n, e); });
    text.resize(n);
    return text;
}
}  // namespace detail

/// One application as named fields: numbers, or text for categories; absent = missing.
class Application {
public:
    Application &number(std::string name, double value) {
        names_.push_back(std::move(name));
        numbers_.push_back(value);
        texts_.emplace_back();
        has_text_.push_back(false);
        return *this;
    }
    Application &text(std::string name, std::string value) {
        names_.push_back(std::move(name));
        numbers_.push_back(NAN);
        texts_.push_back(std::move(value));
        has_text_.push_back(true);
        return *this;
    }
    Application &missing(std::string name) { return number(std::move(name), NAN); }

private:
    friend class Model;
    std::vector<std::string> names_;
    std::vector<double> numbers_;
    std::vector<std::string> texts_;
    std::vector<bool> has_text_;
};

/// The result of scoring one application.
struct Result {
    double score;
    double pd;
    std::string grade;
    microscore_result raw;
    /// Feature indices of the reasons, most points lost first.
    std::vector<int32_t> reasons;
};

/// A loaded scorecard (move-only; shareable between threads by const reference).
class Model {
public:
    static Model load(const std::string &path) {
        microscore_model *m = nullptr;
        detail::call([&](microscore_error **e) { return microscore_model_load(path.c_str(), &m, e); });
        return Model(m);
    }
    static Model from_json(const std::string &json) {
        microscore_model *m = nullptr;
        detail::call([&](microscore_error **e) { return microscore_model_from_json(reinterpret_cast<const uint8_t *>(json.data()), json.size(), &m, e); });
        return Model(m);
    }
    static Model builtin() {
        microscore_model *m = nullptr;
        detail::call([&](microscore_error **e) { return microscore_model_default(&m, e); });
        return Model(m);
    }

    size_t n_inputs() const noexcept { return microscore_model_n_inputs(handle_.get()); }
    size_t n_features() const noexcept { return microscore_model_n_features(handle_.get()); }
    bool is_categorical(size_t input) const noexcept {
        return microscore_model_input_is_categorical(handle_.get(), input) != 0;
    }
    std::string input_name(size_t i) const {
        return detail::get_string([&](char *b, size_t l, size_t *n, microscore_error **e) {
            return microscore_model_input_name(handle_.get(), i, b, l, n, e);
        });
    }
    std::string reason_code(size_t feature) const {
        return detail::get_string([&](char *b, size_t l, size_t *n, microscore_error **e) {
            return microscore_model_reason_code(handle_.get(), feature, b, l, n, e);
        });
    }
    std::string grade_name(size_t grade) const {
        return detail::get_string([&](char *b, size_t l, size_t *n, microscore_error **e) {
            return microscore_model_grade_name(handle_.get(), grade, b, l, n, e);
        });
    }
    /// The model's index of a category of categorical input `i` (-1 when unseen).
    double category_index(size_t i, const std::string &category) const {
        int64_t index = -1;
        detail::call([&](microscore_error **e) { return microscore_model_category_index(handle_.get(), i, category.c_str(), &index, e); });
        return static_cast<double>(index);
    }

    Result score(const Application &app, size_t k = 4) const {
        std::vector<const char *> names, texts;
        for (size_t i = 0; i < app.names_.size(); i++) {
            names.push_back(app.names_[i].c_str());
            texts.push_back(app.has_text_[i] ? app.texts_[i].c_str() : nullptr);
        }
        Result r{};
        detail::call([&](microscore_error **e) { return microscore_score_one(handle_.get(), names.data(), app.numbers_.data(), texts.data(),
                                           names.size(), k, &r.raw, e); });
        r.score = r.raw.score;
        r.pd = r.raw.pd;
        r.grade = grade_name(r.raw.grade);
        r.reasons.assign(r.raw.reasons, r.raw.reasons + r.raw.n_reasons);
        return r;
    }

    /// Score a row-major batch (`n_inputs()` columns) into vectors; `k` reasons per row.
    void score_batch(const std::vector<double> &x, size_t k, std::vector<double> &scores, std::vector<double> &pds,
                     std::vector<int32_t> &reasons) const {
        size_t m = n_inputs();
        if (m == 0 || x.size() % m != 0) throw Error(MICROSCORE_INVALID_ARGUMENT, "x is not a whole number of rows");
        size_t n = x.size() / m, reasons_len = 0;
        size_t len = microscore_output_len(n, k, &reasons_len);
        scores.assign(len, 0.0);
        pds.assign(len, 0.0);
        reasons.assign(reasons_len, -1);
        detail::call([&](microscore_error **e) { return microscore_score_matrix(handle_.get(), x.data(), n, m, k, scores.data(), pds.data(), nullptr,
                                              nullptr, len, reasons.data(), reasons_len, e); });
    }

    const microscore_model *get() const noexcept { return handle_.get(); }

private:
    explicit Model(microscore_model *m) : handle_(m) {}
    std::unique_ptr<microscore_model, detail::ModelDeleter> handle_;
};

}  // namespace microscore

#endif  // MICROSCORE_HPP
