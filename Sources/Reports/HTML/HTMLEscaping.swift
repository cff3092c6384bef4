/// Text into HTML: every string a report shows passes through here, because serials, lot numbers and operator names
/// are typed by users and a `<` in one must never become markup.
enum HTML {
    /// `&`, `<`, `>`, `"` and `'` as entities: safe in element content and in quoted attribute values alike.
    static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// An optional text, escaped, or an em dash for none.
    static func escape(_ text: String?, none: String = "—") -> String {
        text.map(escape) ?? none
    }
}
