// The result envelope every command prints: text on stdout (errors on stderr), or one JSON
// object with the schema, command, ok, exit_code and error fields (docs/cli.md, "JSON output").
#include "cli/commands/command.hpp"

#include <iostream>

#include "cli/exit_codes.hpp"
#include "cli/output_renderer.hpp"

namespace migrate::cli {

using nlohmann::json;

int finish(const Invocation& inv, json body, const std::optional<Error>& error,
           const std::string& text) {
  int code = error ? exit_code_for(error->code) : kExitOk;
  if (inv.json_output) {
    json out{{"schema", kJsonSchema},
             {"command", inv.command},
             {"ok", !error},
             {"exit_code", code},
             {"error", error ? to_json(*error) : json(nullptr)}};
    // Moved, not copied: the body of `lint` or `status` over many migrations is large.
    for (auto& [k, v] : body.items()) out[k] = std::move(v);
    std::string document = out.dump(2);
    document += '\n';
    std::cout.write(document.data(), static_cast<std::streamsize>(document.size()));
  } else {
    std::cout << text;
    if (error) std::cerr << render_error_text(*error);
  }
  return code;
}

int fail_usage(const Invocation& inv, const std::string& message, const std::string& hint) {
  return finish(inv, json::object(), Error{ErrorCode::kUsage, message, hint, {}, {}}, "");
}

}  // namespace migrate::cli
