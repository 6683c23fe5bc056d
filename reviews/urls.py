from django.urls import path

from reviews.views import appeals, cases, public

urlpatterns = [
    path("", cases.queue_page, name="home"),
    path("queue/next/", cases.claim_next, name="claim-next"),
    path("cases/<int:case_id>/", cases.case_page, name="case"),
    path("cases/<int:case_id>/claim/", cases.case_claim, name="case-claim"),
    path("cases/<int:case_id>/release/", cases.case_release, name="case-release"),
    path("cases/<int:case_id>/renew/", cases.case_renew, name="case-renew"),
    path("cases/<int:case_id>/decide/", cases.case_decide, name="case-decide"),
    path("cases/<int:case_id>/statement/", cases.case_statement, name="case-statement"),
    path("approvals/", cases.approvals_page, name="approvals"),
    path("approvals/<int:proposal_id>/approve/", cases.proposal_approve, name="proposal-approve"),
    path("approvals/<int:proposal_id>/reject/", cases.proposal_reject, name="proposal-reject"),
    path("photos/<int:photo_id>/", cases.photo, name="photo"),
]

urlpatterns += [
    path("appeal/<str:token>/", public.appeal_page, name="appeal"),
    path("appeals/", appeals.appeals_page, name="appeals"),
    path("appeals/next/", appeals.appeal_claim_next, name="appeal-claim-next"),
    path("appeals/<int:appeal_id>/", appeals.appeal_page, name="appeal-review"),
    path("appeals/<int:appeal_id>/claim/", appeals.appeal_claim, name="appeal-claim"),
    path("appeals/<int:appeal_id>/release/", appeals.appeal_release, name="appeal-release"),
    path("appeals/<int:appeal_id>/resolve/", appeals.appeal_resolve, name="appeal-resolve"),
    path(
        "appeals/<int:appeal_id>/attachments/<int:attachment_id>/",
        appeals.appeal_attachment,
        name="appeal-attachment",
    ),
]
