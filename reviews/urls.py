from django.urls import path

from reviews import views

urlpatterns = [
    path("", views.queue_page, name="home"),
    path("queue/next/", views.claim_next, name="claim-next"),
    path("cases/<int:case_id>/", views.case_page, name="case"),
    path("cases/<int:case_id>/claim/", views.case_claim, name="case-claim"),
    path("cases/<int:case_id>/release/", views.case_release, name="case-release"),
    path("cases/<int:case_id>/renew/", views.case_renew, name="case-renew"),
    path("cases/<int:case_id>/decide/", views.case_decide, name="case-decide"),
    path("cases/<int:case_id>/statement/", views.case_statement, name="case-statement"),
    path("approvals/", views.approvals_page, name="approvals"),
    path("approvals/<int:proposal_id>/approve/", views.proposal_approve, name="proposal-approve"),
    path("approvals/<int:proposal_id>/reject/", views.proposal_reject, name="proposal-reject"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
]
