#include "options_binder.h"

#include "text.h"

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <variant>

namespace sluice::engine {

namespace {

bool is_choice(std::string_view value, std::string_view choices) {
  while (true) {
    const auto bar = choices.find('|');
    if (choices.substr(0, bar) == value) return true;
    if (bar == std::string_view::npos) return false;
    choices.remove_prefix(bar + 1);
  }
}

std::string not_a_choice(std::string_view shown, std::string_view choices) {
  std::string allowed(choices);
  for (auto& c : allowed)
    if (c == '|') c = ',';
  return fmt::format("{} is not one of: {}", shown, allowed);
}

// The value of `node` as `spec.type`, or an explanation of why it is not one.
std::variant<OptionValue, std::string> convert(const toml::node& node, const OptionSpec& spec) {
  const auto wrong_type = [&] {
    const auto with_article = [](std::string_view noun) {
      return fmt::format("{} {}", noun.find_first_of("aeiou") == 0 ? "an" : "a", noun);
    };
    return fmt::format("must be {}, not {}", with_article(to_string(spec.type)), with_article(type_name(node)));
  };
  switch (spec.type) {
    case OptionType::boolean:
      if (auto v = node.value_exact<bool>()) return OptionValue(*v);
      return wrong_type();
    case OptionType::integer:
      if (auto v = node.value_exact<std::int64_t>()) {
        if (spec.choices.empty() || is_choice(std::to_string(*v), spec.choices)) return OptionValue(*v);
        return not_a_choice(std::to_string(*v), spec.choices);
      }
      return wrong_type();
    case OptionType::number:
      if (node.is_number()) {
        if (const double v = *node.value<double>(); std::isfinite(v)) return OptionValue(v);
        return std::string("must be a finite number");
      }
      return wrong_type();
    case OptionType::string:
      if (auto v = node.value_exact<std::string>()) {
        if (spec.choices.empty() || is_choice(*v, spec.choices)) return OptionValue(*v);
        return not_a_choice(fmt::format("\"{}\"", *v), spec.choices);
      }
      return wrong_type();
    case OptionType::duration:
      // An integer is seconds, for every duration the engine or a plugin reads.
      if (auto v = node.value_exact<std::int64_t>(); v && *v >= 0)
        return OptionValue(std::chrono::milliseconds(*v * 1000));
      if (auto v = node.value_exact<std::string>()) {
        if (auto d = parse_duration(*v)) return OptionValue(*d);
        return fmt::format("\"{}\" is not a duration: write e.g. \"500ms\", \"10s\", \"5m\", \"1h\", or seconds", *v);
      }
      return wrong_type();
    case OptionType::string_list:
      if (const toml::array* array = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& item : *array) {
          auto v = item.value_exact<std::string>();
          if (!v) return std::string("must be an array of strings");
          if (!spec.choices.empty() && !is_choice(*v, spec.choices))
            return not_a_choice(fmt::format("\"{}\"", *v), spec.choices);
          items.push_back(*v);
        }
        return OptionValue(std::move(items));
      }
      return wrong_type();
    case OptionType::number_list:
      if (const toml::array* array = node.as_array()) {
        std::vector<double> items;
        for (const auto& item : *array) {
          if (!item.is_number()) return std::string("must be an array of numbers");
          items.push_back(*item.value<double>());
        }
        return OptionValue(std::move(items));
      }
      return wrong_type();
    case OptionType::table_list:
      // Tables are bound key by key (bind_tables); only an empty default comes here.
      if (const toml::array* array = node.as_array(); array && array->empty())
        return OptionValue(std::vector<Options>{});
      return std::string("must be an array of tables, e.g. [[...]] sections");
  }
  return std::string("has an unsupported type");
}

// A value written as in TOML (a default, a bound), as the option's type.
std::optional<OptionValue> parse_value(std::string_view text, const OptionSpec& spec) {
  if (text.empty()) return std::nullopt;
  const std::unique_ptr<toml::node> parsed = parse_toml_value(text);
  if (!parsed) return std::nullopt;
  OptionSpec unconstrained = spec;
  unconstrained.choices = {};
  auto converted = convert(*parsed, unconstrained);
  if (auto* ok = std::get_if<OptionValue>(&converted)) return *ok;
  return std::nullopt;
}

// -1, 0, 1 as a is below, equal to or above b (both of the option's type).
int compare(const OptionValue& a, const OptionValue& b) {
  return std::visit(
      [&](const auto& x) -> int {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                      std::is_same_v<T, std::chrono::milliseconds>) {
          const T& y = std::get<T>(b);
          return x < y ? -1 : y < x ? 1 : 0;
        } else {
          return 0;
        }
      },
      a);
}

std::string show_bound(std::string_view text, const OptionSpec& spec) {
  if (spec.type != OptionType::duration) return std::string(text);
  const auto value = parse_value(text, spec);
  return value ? format_duration(std::get<std::chrono::milliseconds>(*value)) : std::string(text);
}

// Why `value` is out of the option's range; empty when it is within.
std::string range_problem(const OptionValue& value, const OptionSpec& spec) {
  const auto min = parse_value(spec.min, spec), max = parse_value(spec.max, spec);
  if ((min && compare(value, *min) < 0) || (max && compare(value, *max) > 0)) return "must be " + describe_range(spec);
  return {};
}

// The declaration's own mistakes: a default or a bound that does not parse.
void check_declaration(const OptionSpec& spec, std::string_view owner, const toml::node& location,
                       const std::string& key, ProblemList& problems) {
  for (const auto& [what, text] : {std::pair{"default", spec.default_value}, {"min", spec.min}, {"max", spec.max}})
    if (!text.empty() && !parse_value(text, spec))
      problems.add(&location, key,
                   fmt::format("{} declares an invalid {} \"{}\" (a bug in the plugin)", owner, what, text));
}

std::vector<std::string> names_of(std::span<const OptionSpec> a, std::span<const OptionSpec> b) {
  std::vector<std::string> names;
  for (const auto& spec : a) names.emplace_back(spec.name);
  for (const auto& spec : b) names.emplace_back(spec.name);
  return names;
}

Options bind_keys(const toml::table& table, const toml::node& location, const std::string& key_prefix,
                  const Binding& binding, ProblemList& problems);

// [[NAME]] tables: each bound against the option's fields, its problems named
// NAME[i].KEY.
std::variant<OptionValue, std::string> bind_tables(const toml::node& node, const std::string& full_key,
                                                   std::string_view owner, const OptionSpec& spec,
                                                   ProblemList& problems) {
  const toml::array* array = node.as_array();
  if (!array || !array->is_array_of_tables())
    return fmt::format("must be an array of tables: [[{}]] sections, or {} = [{{ ... }}, ...]", full_key, spec.name);
  std::vector<Options> tables;
  for (std::size_t i = 0; i < array->size(); ++i)
    tables.push_back(bind_keys(*array->get(i)->as_table(), *array->get(i), fmt::format("{}[{}]", full_key, i),
                               {.owner = owner, .specs = spec.fields}, problems));
  return OptionValue(std::move(tables));
}

Options bind_keys(const toml::table& table, const toml::node& location, const std::string& key_prefix,
                  const Binding& binding, ProblemList& problems) {
  Options options;
  for (auto&& [key, node] : table) {
    const std::string full_key = fmt::format("{}.{}", key_prefix, key.str());
    const OptionSpec* spec = find_option(binding.specs, key.str());
    if (!spec) {
      if (binding.only_declared || find_option(binding.others, key.str())) continue;
      problems.add(&node, full_key,
                   fmt::format("unknown option \"{}\" of {}{}", key.str(), binding.owner,
                               binding.specs.empty() && binding.others.empty()
                                   ? "; it takes no options"
                                   : suggestion(key.str(), names_of(binding.specs, binding.others), "its options: ")));
      continue;
    }
    auto converted = spec->type == OptionType::table_list ? bind_tables(node, full_key, binding.owner, *spec, problems)
                                                          : convert(node, *spec);
    if (auto* value = std::get_if<OptionValue>(&converted)) {
      if (auto out_of_range = range_problem(*value, *spec); !out_of_range.empty())
        problems.add(&node, full_key, std::move(out_of_range));
      else
        options.set(std::string(spec->name), std::move(*value));
    } else {
      problems.add(&node, full_key, std::get<std::string>(converted));
    }
  }

  for (const auto& spec : binding.specs) {
    const std::string key = fmt::format("{}.{}", key_prefix, spec.name);
    check_declaration(spec, binding.owner, location, key, problems);
    if (options.has(spec.name) || table.contains(spec.name)) continue;  // set, or already reported
    if (spec.required)
      problems.add(&location, key, fmt::format("missing required option of {}: {}", binding.owner, spec.help));
    else if (auto value = parse_value(spec.default_value, spec))
      options.set(std::string(spec.name), std::move(*value));
  }
  return options;
}

}  // namespace

const OptionSpec* find_option(std::span<const OptionSpec> specs, std::string_view name) {
  for (const auto& spec : specs)
    if (spec.name == name) return &spec;
  return nullptr;
}

std::optional<OptionValue> parse_default(const OptionSpec& spec) { return parse_value(spec.default_value, spec); }

std::string describe_range(const OptionSpec& spec) {
  if (!spec.min.empty() && !spec.max.empty())
    return fmt::format("{} to {}", show_bound(spec.min, spec), show_bound(spec.max, spec));
  if (!spec.min.empty()) return ">= " + show_bound(spec.min, spec);
  if (!spec.max.empty()) return "<= " + show_bound(spec.max, spec);
  return {};
}

Options bind_table(const toml::table& table, const std::string& key_prefix, const Binding& binding,
                   ProblemList& problems) {
  return bind_keys(table, table, key_prefix, binding, problems);
}

Options bind_options(const ComponentConfig& component, std::span<const OptionSpec> specs, ProblemList& problems) {
  const std::string owner = "plugin " + component.plugin;
  return bind_table(*component.table, component.key,
                    {.owner = owner, .specs = specs, .others = engine_keys(component.role)}, problems);
}

}  // namespace sluice::engine
