/**
 * Portcullis baseline rules: a small SecLang rule set used when no OWASP CRS is configured.
 * It blocks the obvious (SQL injection and XSS through our @detectSQLi / @detectXSS, path
 * traversal, NUL bytes, unknown methods) with CRS-style anomaly scoring, so route settings
 * (paranoiaLevel, anomalyThreshold) mean the same thing. Kept as a module, not a .conf file,
 * so the build carries it. For real coverage install OWASP CRS and set waf.crs.dir.
 */
export const BASELINE_SECLANG = String.raw`SecDefaultAction "phase:1,log,auditlog,pass"
SecDefaultAction "phase:2,log,auditlog,pass"

SecRule &TX:inbound_anomaly_score_threshold "@eq 0" "id:9100001,phase:1,pass,nolog,setvar:tx.inbound_anomaly_score_threshold=5"
SecAction "id:9100002,phase:1,pass,nolog,setvar:tx.blocking_inbound_anomaly_score=0"

SecRule REQUEST_METHOD "!@rx ^(?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$" \
    "id:9100010,phase:1,block,t:none,msg:'Method is not allowed',severity:'CRITICAL',tag:'baseline',setvar:'tx.blocking_inbound_anomaly_score=+5'"

SecRule REQUEST_URI_RAW|ARGS|REQUEST_HEADERS:Referer "@rx (?:^|[\\/])\.\.(?:[\\/]|$)" \
    "id:9100020,phase:2,block,t:none,t:urlDecodeUni,t:normalizePathWin,multiMatch,msg:'Path traversal attack',logdata:'Matched Data: %{MATCHED_VAR} found within %{MATCHED_VAR_NAME}',severity:'CRITICAL',tag:'baseline',tag:'attack-lfi',setvar:'tx.blocking_inbound_anomaly_score=+5'"

SecRule ARGS|ARGS_NAMES|REQUEST_BODY "@rx \x00" \
    "id:9100030,phase:2,block,t:none,t:urlDecodeUni,msg:'NUL byte in request',severity:'CRITICAL',tag:'baseline',setvar:'tx.blocking_inbound_anomaly_score=+5'"

SecRule REQUEST_COOKIES|REQUEST_COOKIES_NAMES|ARGS_NAMES|ARGS|REQUEST_FILENAME|XML:/* "@detectSQLi" \
    "id:9100040,phase:2,block,capture,t:none,t:utf8toUnicode,t:urlDecodeUni,t:removeNulls,msg:'SQL injection detected',logdata:'Matched Data: %{TX.0} found within %{MATCHED_VAR_NAME}',severity:'CRITICAL',tag:'baseline',tag:'attack-sqli',setvar:'tx.blocking_inbound_anomaly_score=+5'"

SecRule REQUEST_COOKIES|REQUEST_COOKIES_NAMES|REQUEST_HEADERS:User-Agent|REQUEST_HEADERS:Referer|ARGS_NAMES|ARGS|REQUEST_FILENAME|XML:/* "@detectXSS" \
    "id:9100050,phase:2,block,t:none,t:utf8toUnicode,t:urlDecodeUni,t:htmlEntityDecode,t:jsDecode,t:cssDecode,t:removeNulls,msg:'XSS attack detected',logdata:'Matched Data: XSS found within %{MATCHED_VAR_NAME}',severity:'CRITICAL',tag:'baseline',tag:'attack-xss',setvar:'tx.blocking_inbound_anomaly_score=+5'"

SecRule TX:blocking_inbound_anomaly_score "@ge %{tx.inbound_anomaly_score_threshold}" \
    "id:9100990,phase:2,deny,t:none,msg:'Inbound Anomaly Score Exceeded (Total Score: %{TX.BLOCKING_INBOUND_ANOMALY_SCORE})',tag:'baseline'"
`;
