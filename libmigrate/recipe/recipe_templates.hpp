// The recipe templates (libmigrate/recipe/templates/<kind>/<phase>.<direction>.sql), compiled in.
#pragma once

#include <map>
#include <string>

namespace migrate {

// "<kind>/<phase>.<direction>.sql" -> template text: `{name}` placeholders, and `-- @if flag` /
// `-- @else` / `-- @endif` lines around optional parts (recipe_writer.cpp renders them).
const std::map<std::string, std::string>& recipe_templates();

}  // namespace migrate
