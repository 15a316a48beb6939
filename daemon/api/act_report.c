#include <stdlib.h>
#include <string.h>

#include "api/act.h"
#include "api/awsjson.h"
#include "core/report.h"

int act_create_audit_report(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                            err_t *e) {
  char id[37], *key = NULL;
  if (report_create(c, res->ca_arn, json_string_value(json_object_get(in, "S3BucketName")),
                    json_string_value(json_object_get(in, "AuditReportResponseFormat")), id,
                    &key, e) < 0)
    return -1;
  *out = json_pack("{s:s,s:s}", "AuditReportId", id, "S3Key", key);
  free(key);
  return 0;
}

int act_describe_audit_report(const ctx_t *c, const act_res_t *res, const json_t *in, json_t **out,
                              err_t *e) {
  report_info_t r;
  if (report_describe(c, res->ca_arn, json_string_value(json_object_get(in, "AuditReportId")),
                      &r, e) < 0)
    return -1;
  *out = json_pack("{s:s,s:s,s:s,s:o}", "AuditReportStatus", r.status, "S3BucketName", r.bucket,
                   "S3Key", r.key, "CreatedAt", awsjson_timestamp(r.created_at));
  report_info_clear(&r);
  return 0;
}
