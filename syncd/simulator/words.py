"""Vietnamese vocabulary the content generator draws from (data only)."""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "Tin tức - Sự kiện",
    "Văn bản chỉ đạo điều hành",
    "Thông báo",
    "Kinh tế - Xã hội",
    "Văn hóa - Thể thao",
    "Quốc phòng - An ninh",
)

SUBJECTS: tuple[str, ...] = (
    "Ủy ban nhân dân huyện",
    "Hội đồng nhân dân xã",
    "Ban Thường vụ Huyện ủy",
    "Mặt trận Tổ quốc Việt Nam huyện",
    "Phòng Tài nguyên và Môi trường",
    "Trung tâm Y tế huyện",
    "Hội Liên hiệp Phụ nữ xã",
    "Đoàn Thanh niên Cộng sản Hồ Chí Minh",
    "Phòng Giáo dục và Đào tạo",
    "Ban Chỉ huy Quân sự huyện",
    "Công an xã",
    "Hội Nông dân huyện",
)

ACTIONS: tuple[str, ...] = (
    "tổ chức hội nghị",
    "triển khai kế hoạch",
    "tổng kết công tác",
    "kiểm tra tiến độ",
    "phát động phong trào",
    "ban hành hướng dẫn",
    "trao tặng quà",
    "khai mạc lớp tập huấn",
    "đẩy mạnh tuyên truyền",
    "sơ kết sáu tháng",
)

TOPICS: tuple[str, ...] = (
    "xây dựng nông thôn mới",
    "giảm nghèo bền vững",
    "phòng chống thiên tai",
    "chuyển đổi số",
    "bảo vệ rừng",
    "phát triển cây cà phê",
    "tiêm chủng mở rộng",
    "cải cách hành chính",
    "an toàn giao thông",
    "bảo tồn văn hóa cồng chiêng",
    "phát triển kinh tế hợp tác",
    "đảm bảo an ninh trật tự",
    "hỗ trợ đồng bào dân tộc thiểu số",
    "trồng sâm Ngọc Linh",
)

PLACES: tuple[str, ...] = (
    "tại xã Đăk Ruồng",
    "tại xã Tân Lập",
    "tại thị trấn Đăk Rve",
    "tại xã Đăk Tờ Re",
    "tại xã Đăk Pne",
    "tại xã Đăk Kôi",
    "trên địa bàn huyện",
    "năm 2025",
    "giai đoạn 2021 - 2025",
    "quý III",
)

SENTENCE_OPENERS: tuple[str, ...] = (
    "Theo báo cáo của đơn vị,",
    "Tại buổi làm việc,",
    "Phát biểu chỉ đạo,",
    "Trong thời gian qua,",
    "Bên cạnh những kết quả đạt được,",
    "Thực hiện chỉ đạo của cấp trên,",
    "Đến nay,",
    "Để tiếp tục nâng cao hiệu quả,",
)

SENTENCE_BODIES: tuple[str, ...] = (
    "các cơ quan, đơn vị đã chủ động phối hợp triển khai nhiều giải pháp thiết thực",
    "người dân tích cực hưởng ứng và đóng góp hàng nghìn ngày công lao động",
    "đời sống vật chất và tinh thần của nhân dân từng bước được nâng lên",
    "công tác tuyên truyền được đẩy mạnh bằng nhiều hình thức phong phú, đa dạng",
    "tỷ lệ hộ nghèo giảm rõ rệt so với cùng kỳ năm trước",
    "đồng chí Chủ tịch đề nghị các ngành tập trung khắc phục những tồn tại, hạn chế",
    "hệ thống đường giao thông nông thôn được bê tông hóa đạt trên 85%",
    "lực lượng chức năng thường xuyên tuần tra, kiểm soát, giữ vững ổn định",
    "nhiều mô hình sản xuất hiệu quả được nhân rộng ở các thôn, làng",
    "chính quyền địa phương kịp thời giải quyết các kiến nghị chính đáng của cử tri",
)

SENTENCE_ENDINGS: tuple[str, ...] = (
    "góp phần hoàn thành thắng lợi các chỉ tiêu đề ra.",
    "tạo sự đồng thuận cao trong Nhân dân.",
    "đáp ứng yêu cầu nhiệm vụ trong tình hình mới.",
    "nhằm phục vụ tốt hơn nhu cầu của người dân và doanh nghiệp.",
    "bảo đảm đúng tiến độ và chất lượng.",
    "qua đó khẳng định vai trò của hệ thống chính trị cơ sở.",
)

SURNAMES: tuple[str, ...] = ("Nguyễn", "Trần", "Lê", "Phạm", "Y", "A", "Võ", "Đặng", "Huỳnh")
MIDDLE_NAMES: tuple[str, ...] = ("Văn", "Thị", "Đức", "Minh", "Thanh", "Hữu", "Ngọc")
GIVEN_NAMES: tuple[str, ...] = (
    "Hùng", "Lan", "Dũng", "Hương", "Thảo", "Khánh", "Tuấn", "Blông", "Rin", "Quý", "Ánh",
)

UNIT_NAMES: tuple[str, ...] = (
    "Cổng thông tin điện tử huyện Kon Rẫy",
    "Xã Đăk Ruồng",
    "Xã Tân Lập",
    "Thị trấn Đăk Rve",
    "Xã Đăk Tờ Re",
    "Xã Đăk Pne",
    "Xã Đăk Kôi",
    "Xã Đăk Tơ Lung",
    "Cổng thông tin điện tử tỉnh Quảng Ngãi",
    "Cổng thông tin điện tử huyện Đăk Hà",
    "Xã Ngọc Wang",
    "Xã Hà Mòn",
    "Phường Quyết Thắng",
    "Xã Măng Đen",
    "Xã Ia Chim",
    "Xã Đoàn Kết",
)
