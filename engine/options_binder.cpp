#include "options_binder.h"

#include "text.h"

#include <fmt/format.h>

#include <string>
#include <variant>

namespace sluice::engine {

namespace {

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
      if (auto v = node.value_exact<std::int64_t>()) return OptionValue(*v);
      return wrong_type();
    case OptionType::number:
      if (node.is_number()) return OptionValue(*node.value<double>());
      return wrong_type();
    case OptionType::string:
      if (auto v = node.value_exact<std::string>()) {
        if (spec.choices.empty()) return OptionValue(*v);
        std::string_view rest = spec.choices;
        while (true) {
          const auto bar = rest.find('|');
          if (rest.substr(0, bar) == *v) return OptionValue(*v);
          if (bar == std::string_view::npos) break;
          rest.remove_prefix(bar + 1);
        }
        std::string allowed(spec.choices);
        for (auto& c : allowed)
          if (c == '|') c = ',';
        return fmt::format("\"{}\" is not one of: {}", *v, allowed);
      }
      return wrong_type();
    case OptionType::duration:
      if (auto v = node.value_exact<std::int64_t>(); v && *v >= 0)
        return OptionValue(std::chrono::milliseconds(*v * 1000));
      if (auto v = node.value_exact<std::string>()) {
        if (auto d = parse_duration(*v)) return OptionValue(*d);
        return fmt::format("\"{}\" is not a duration: write e.g. \"500ms\", \"10s\", \"5m\", \"1h\"", *v);
      }
      return wrong_type();
    case OptionType::string_list:
      if (const toml::array* array = node.as_array()) {
        std::vector<std::string> items;
        for (const auto& item : *array) {
          auto v = item.value_exact<std::string>();
          if (!v) return std::string("must be an array of strings");
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

}  // namespace

std::optional<OptionValue> parse_default(const OptionSpec& spec) {
  if (spec.default_value.empty()) return std::nullopt;
  // A default is written exactly as in TOML: strings in quotes.
  const std::unique_ptr<toml::node> parsed = parse_toml_value(spec.default_value);
  if (!parsed) return std::nullopt;
  auto converted = convert(*parsed, spec);
  if (auto* ok = std::get_if<OptionValue>(&converted)) return *ok;
  return std::nullopt;
}

namespace {

Options bind_table(const toml::table& table, const toml::node& location, const std::string& key_prefix,
                   std::string_view plugin, std::span<const OptionSpec> specs, bool skip_engine_keys,
                   ProblemList& problems);

// [[NAME]] tables: each bound against the option's fields, its problems named
// NAME[i].KEY.
std::variant<OptionValue, std::string> bind_tables(const toml::node& node, const std::string& full_key,
                                                   std::string_view plugin, const OptionSpec& spec,
                                                   ProblemList& problems) {
  const toml::array* array = node.as_array();
  if (!array || !array->is_array_of_tables())
    return fmt::format("must be an array of tables: [[{}]] sections, or {} = [{{ ... }}, ...]", full_key, spec.name);
  std::vector<Options> tables;
  for (std::size_t i = 0; i < array->size(); ++i)
    tables.push_back(bind_table(*array->get(i)->as_table(), *array->get(i), fmt::format("{}[{}]", full_key, i), plugin,
                                spec.fields, false, problems));
  return OptionValue(std::move(tables));
}

Options bind_table(const toml::table& table, const toml::node& location, const std::string& key_prefix,
                   std::string_view plugin, std::span<const OptionSpec> specs, bool skip_engine_keys,
                   ProblemList& problems) {
  Options options;
  std::vector<std::string> declared;
  for (const auto& spec : specs) declared.emplace_back(spec.name);

  for (auto&& [key, node] : table) {
    if (skip_engine_keys && is_engine_key(key.str())) continue;
    const std::string full_key = fmt::format("{}.{}", key_prefix, key.str());
    const OptionSpec* spec = nullptr;
    for (const auto& s : specs)
      if (s.name == key.str()) spec = &s;
    if (!spec) {
      std::string message = fmt::format("unknown option \"{}\" of plugin {}", key.str(), plugin);
      if (auto guess = nearest(key.str(), declared))
        message += fmt::format("; did you mean \"{}\"?", *guess);
      else
        message += declared.empty() ? "; it takes no options" : "; its options: " + join_names(declared);
      problems.add(&node, full_key, std::move(message));
      continue;
    }
    auto converted = spec->type == OptionType::table_list ? bind_tables(node, full_key, plugin, *spec, problems)
                                                          : convert(node, *spec);
    if (auto* value = std::get_if<OptionValue>(&converted))
      options.set(std::string(spec->name), std::move(*value));
    else
      problems.add(&node, full_key, std::get<std::string>(converted));
  }

  for (const auto& spec : specs) {
    if (options.has(spec.name) || table.contains(spec.name)) continue;  // set, or already reported
    if (spec.required) {
      problems.add(&location, fmt::format("{}.{}", key_prefix, spec.name),
                   fmt::format("missing required option of plugin {}: {}", plugin, spec.help));
    } else if (auto value = parse_default(spec)) {
      options.set(std::string(spec.name), std::move(*value));
    } else if (!spec.default_value.empty()) {
      problems.add(&location, fmt::format("{}.{}", key_prefix, spec.name),
                   fmt::format("plugin {} declares an invalid default \"{}\" (a bug in the plugin)", plugin,
                               spec.default_value));
    }
  }
  return options;
}

}  // namespace

Options bind_options(const ComponentConfig& component, std::span<const OptionSpec> specs, ProblemList& problems) {
  return bind_table(*component.table, *component.table, component.key, component.plugin, specs, true, problems);
}

}  // namespace sluice::engine
