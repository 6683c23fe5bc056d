from django.urls import path

import antifraud.converters  # noqa: F401 - registers <id:…>
from reviews.views import (
    appeals,
    approvals,
    cases,
    logs,
    notes,
    oversight,
    photos,
    policies,
    public,
    samples,
    scams,
    statements,
    story,
    transparency,
)

urlpatterns = [
    path("", cases.queue_page, name="home"),
    path("queue/next/", cases.claim_next, name="claim-next"),
    path("cases/<id:case_id>/", cases.case_page, name="case"),
    path("cases/<id:case_id>/claim/", cases.case_claim, name="case-claim"),
    path("cases/<id:case_id>/release/", cases.case_release, name="case-release"),
    path("cases/<id:case_id>/renew/", cases.case_renew, name="case-renew"),
    path("cases/<id:case_id>/decide/", cases.case_decide, name="case-decide"),
    path("cases/<id:case_id>/skip/", cases.case_skip, name="case-skip"),
    path("cases/<id:case_id>/snooze/", cases.case_snooze, name="case-snooze"),
    path("cases/<id:case_id>/statement/", cases.case_statement, name="case-statement"),
    path("cases/<id:case_id>/notes/", notes.case_note_add, name="case-note-add"),
    path("approvals/", approvals.approvals_page, name="approvals"),
    path(
        "approvals/<id:proposal_id>/approve/", approvals.proposal_approve, name="proposal-approve"
    ),
    path("approvals/<id:proposal_id>/reject/", approvals.proposal_reject, name="proposal-reject"),
    path("photos/<id:photo_id>/", photos.photo, name="photo"),
    path("oversight/", oversight.oversight_page, name="oversight"),
]

urlpatterns += [
    path("appeal/<str:token>/", public.appeal_page, name="appeal"),
    path("appeals/", appeals.appeals_page, name="appeals"),
    path("appeals/next/", appeals.appeal_claim_next, name="appeal-claim-next"),
    path("appeals/<id:appeal_id>/", appeals.appeal_page, name="appeal-review"),
    path("appeals/<id:appeal_id>/claim/", appeals.appeal_claim, name="appeal-claim"),
    path("appeals/<id:appeal_id>/release/", appeals.appeal_release, name="appeal-release"),
    path("appeals/<id:appeal_id>/resolve/", appeals.appeal_resolve, name="appeal-resolve"),
    path("appeals/<id:appeal_id>/reply/", appeals.appeal_reply, name="appeal-reply"),
    path(
        "appeals/<id:appeal_id>/attachments/<id:attachment_id>/",
        appeals.appeal_attachment,
        name="appeal-attachment",
    ),
]

urlpatterns += [
    path("subjects/<id:subject_id>/story/", story.subject_story_page, name="subject-story"),
    path("oversight/samples/", samples.sample_queue, name="sample-queue"),
    path("oversight/samples/<id:sample_id>/", samples.sample_page, name="sample"),
    path("oversight/samples/<id:sample_id>/review/", samples.sample_review, name="sample-review"),
]

# The supervisors' logs and the audit trail (reviews.views.logs).
urlpatterns += [
    path("oversight/decisions/", logs.decision_log_page, name="decision-log"),
    path("oversight/decisions/export.csv", logs.decision_log_export, name="decision-log-export"),
    path("oversight/appeals/", logs.appeal_log_page, name="appeal-log"),
    path("oversight/appeals/export.csv", logs.appeal_log_export, name="appeal-log-export"),
    path("oversight/audit/", logs.audit_trail_page, name="audit-trail"),
    path("oversight/audit/export.csv", logs.audit_trail_export, name="audit-trail-export"),
    path("oversight/audit/verify/", logs.audit_chain_verify, name="audit-chain-verify"),
]

# The open pages: the published policy catalogue and its history, the monthly transparency
# report and its figures, the scam-awareness page (reviews.views.policies, .transparency,
# .scams); no sign-in, in English, Russian and Kazakh.
urlpatterns += [
    path("policies/", policies.policies_page, name="public-policies"),
    path("policies/<slug:code>/", policies.policy_page, name="public-policy"),
    path(
        "policies/<slug:code>/v<int:version>/",
        policies.policy_version_page,
        name="public-policy-version",
    ),
    path("transparency/", transparency.transparency_page, name="public-transparency"),
    path(
        "transparency/figures.csv",
        transparency.figures_csv,
        name="public-transparency-csv",
    ),
    path(
        "transparency/figures.json",
        transparency.figures_json,
        name="public-transparency-json",
    ),
    path("scams/", scams.scams_page, name="public-scams"),
    path("scams/print/", scams.scams_print_page, name="public-scams-print"),
]

# Statements of reasons in the layout of the EU DSA Transparency Database, for supervisors
# (reviews.views.statements).
urlpatterns += [
    path("oversight/statements/", statements.statements_page, name="statements"),
    path(
        "oversight/statements/export.csv",
        statements.statements_export_csv,
        name="statements-export-csv",
    ),
    path(
        "oversight/statements/export.json",
        statements.statements_export_json,
        name="statements-export-json",
    ),
]
