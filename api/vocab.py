"""The service's fixed vocabularies (stored as their string values, shown in both languages)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a signed-in member of staff may do (see `api.deps.allow`)."""

    OPERATOR = "operator"  # オペレーター: takes bookings on the phone
    DISPATCHER = "dispatcher"  # 配車担当: watches and changes today's plan
    PLANNER = "planner"  # 計画担当: plans and statistics, no personal data
    DRIVER = "driver"  # 乗務員: their own vehicle's manifest and events
    ADMIN = "admin"  # 管理者: staff accounts, vehicles, places

    @property
    def sees_personal_data(self) -> bool:
        """Residents' names, phone numbers and homes (operators and dispatchers only)."""
        return self in (Role.OPERATOR, Role.DISPATCHER)


class Eligibility(StrEnum):
    """Why a resident may use the service (利用者登録の区分)."""

    AGE_65 = "age_65"  # 65歳以上
    LICENCE_RETURNED = "licence_returned"  # 免許返納者
    DISABILITY = "disability"  # 障がい者


class FareCategory(StrEnum):
    """Fare a rider pays (運賃区分)."""

    STANDARD = "standard"  # 通常
    REDUCED = "reduced"  # 割引 (e.g. disability)
    FREE = "free"  # 無料 (e.g. companion of a rider in a wheelchair)


class PlaceKind(StrEnum):
    """Saved places (よく使う場所); ``home`` is a rider's home and personal data."""

    HOSPITAL = "hospital"  # 病院
    CLINIC = "clinic"  # 診療所
    SUPERMARKET = "supermarket"  # スーパー
    SHOP = "shop"  # 商店
    CITY_HALL = "city_hall"  # 市役所
    STATION = "station"  # 駅
    COMMUNITY_HALL = "community_hall"  # 公民館・集会所
    DEPOT = "depot"  # 車庫
    OTHER = "other"
    HOME = "home"  # 自宅 (never listed in /places)


class BookingKind(StrEnum):
    RIDE = "ride"
    DELIVERY = "delivery"
    VISIT = "visit"  # 訪問診療: a nurse car at the patient's home (`api.routes.visits`)


class CancelReason(StrEnum):
    """Why a booking is cancelled (キャンセル理由), kept on the booking and in its history."""

    PLANS_CHANGED = "plans_changed"  # 予定の変更
    UNWELL = "unwell"  # 体調不良
    OTHER_TRANSPORT = "other_transport"  # 家族の送迎など別の手段
    WEATHER = "weather"  # 天候
    HOSPITAL_CHANGED = "hospital_changed"  # 通院日・予約の変更
    BOOKED_IN_ERROR = "booked_in_error"  # 予約の誤り
    OTHER = "other"  # その他 (the operator's words say what)

    @property
    def words(self) -> tuple[str, str]:
        """(Japanese, English), for the API's answer and the operator's select."""
        return CANCEL_WORDS[self]


CANCEL_WORDS: dict[CancelReason, tuple[str, str]] = {
    CancelReason.PLANS_CHANGED: ("予定の変更", "plans changed"),
    CancelReason.UNWELL: ("体調不良", "unwell"),
    CancelReason.OTHER_TRANSPORT: ("家族の送迎など別の手段", "going another way (family, etc.)"),
    CancelReason.WEATHER: ("天候", "weather"),
    CancelReason.HOSPITAL_CHANGED: ("通院日・予約の変更", "appointment moved"),
    CancelReason.BOOKED_IN_ERROR: ("予約の誤り", "booked in error"),
    CancelReason.OTHER: ("その他", "other"),
}


class Channel(StrEnum):
    """How a rider hears from the office (連絡方法): promises, changes, reminders."""

    PHONE = "phone"  # 電話: the operator calls (the call list)
    SMS = "sms"  # ショートメール
    EMAIL = "email"  # メール


class MessageKind(StrEnum):
    """What a message to a rider is about (`api.notify`)."""

    CONFIRMATION = "confirmation"  # 予約確定: the promise
    CHANGE = "change"  # 変更: a new promise, or back within the old one
    BROKEN = "broken"  # お約束を守れないおそれ
    REMINDER = "reminder"  # 前日のお知らせ
